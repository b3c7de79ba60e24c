import { describe, expect, it } from 'vitest';
import { proxyFor } from '../../../core/weights/proxy-route.ts';

describe('proxyFor', () => {
  const hf = new URL('https://huggingface.co/facebook/dino-vits16/resolve/main/model.safetensors');
  it('reads HTTPS_PROXY for https, HTTP_PROXY for http, either case, ALL_PROXY last', () => {
    expect(proxyFor(hf, { HTTPS_PROXY: 'http://proxy:3128' })?.host).toBe('proxy:3128');
    expect(proxyFor(hf, { https_proxy: 'proxy:8080' })?.href).toBe('http://proxy:8080/');
    expect(proxyFor(hf, { HTTP_PROXY: 'http://proxy:3128' })).toBeNull();
    expect(proxyFor(new URL('http://example.org/x'), { HTTP_PROXY: 'http://p:1' })?.host).toBe('p:1');
    expect(proxyFor(hf, { ALL_PROXY: 'http://all:1' })?.host).toBe('all:1');
    expect(proxyFor(hf, {})).toBeNull();
  });
  it('skips hosts NO_PROXY names: exact, subdomains, leading dot, port, *', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128' };
    expect(proxyFor(hf, { ...env, NO_PROXY: 'huggingface.co' })).toBeNull();
    expect(proxyFor(hf, { ...env, no_proxy: 'example.org, .co' })).toBeNull();
    expect(
      proxyFor(new URL('https://cdn.huggingface.co/x'), { ...env, NO_PROXY: 'huggingface.co' }),
    ).toBeNull();
    expect(proxyFor(hf, { ...env, NO_PROXY: 'huggingface.co:8443' })).not.toBeNull();
    expect(proxyFor(hf, { ...env, NO_PROXY: 'face.co' })).not.toBeNull();
    expect(proxyFor(hf, { ...env, NO_PROXY: '*' })).toBeNull();
  });
  it('says what is wrong with a proxy it cannot use', () => {
    expect(() => proxyFor(hf, { HTTPS_PROXY: 'socks5://proxy:1080' })).toThrow(/http:\/\/ proxies/);
  });
});
