;; dinoscope's own kernels for the tfjs wasm backend, in WebAssembly SIMD (4 floats a vector).
;; They work in place on the backend's heap, which this module imports: every pointer is a byte
;; offset of a tensor there (float32; the transpose also moves int32), every count is in
;; elements. Each loop runs whole vectors, then the last 1–3 elements one at a time in lane 0,
;; through the same arithmetic.
;; Built into own-wasm-kernels.wasm by `npm run build:kernels`; a test checks the two agree.
(module
  (import "env" "memory" (memory 1))

  ;; e^z for z ≤ 0 in float32: z = n·ln2 + r with |r| ≤ ln2/2 (ln2 in two parts, so r is exact),
  ;; e^r by Cephes' expf polynomial (about 1 ulp), 2^n built in the exponent bits. Below −87, 2^n
  ;; would leave the normal floats: z is held there (e^−87 ≈ 1.6e−38 stands for 0).
  (func $exp (param $z v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $z (f32x4.max (local.get $z) (f32x4.splat (f32.const -87))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $z) (f32x4.splat (f32.const 1.4426950216293335)))))
    (local.set $r (f32x4.sub (local.get $z) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    ;; e^r = p·r² + r + 1
    (local.set $p
      (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (f32x4.splat (f32.const 1))))
    (f32x4.mul
      (local.get $p)
      (i32x4.shl
        (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127)))
        (i32.const 23))))

  ;; x·Φ(x), Φ(x) and φ(x), Φ by Abramowitz–Stegun 7.1.26 (erf within 1.5e−7): with
  ;; t = 1/(1 + p·|x|/√2), P(Z > |x|) = t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(−x²/2)/2.
  (func $gelu (param $x v128) (result v128 v128 v128)
    (local $t v128) (local $gaussian v128) (local $poly v128) (local $tail v128) (local $phi v128)
    (local.set $t
      (f32x4.div
        (f32x4.splat (f32.const 1))
        (f32x4.add
          (f32x4.splat (f32.const 1))
          (f32x4.mul (f32x4.abs (local.get $x)) (f32x4.splat (f32.const 0.23164188861846924))))))
    (local.set $gaussian
      (call $exp (f32x4.mul (f32x4.mul (local.get $x) (local.get $x)) (f32x4.splat (f32.const -0.5)))))
    (local.set $poly (f32x4.splat (f32.const 1.061405429)))
    (local.set $poly (f32x4.add (f32x4.mul (local.get $poly) (local.get $t)) (f32x4.splat (f32.const -1.453152027))))
    (local.set $poly (f32x4.add (f32x4.mul (local.get $poly) (local.get $t)) (f32x4.splat (f32.const 1.421413741))))
    (local.set $poly (f32x4.add (f32x4.mul (local.get $poly) (local.get $t)) (f32x4.splat (f32.const -0.284496736))))
    (local.set $poly (f32x4.add (f32x4.mul (local.get $poly) (local.get $t)) (f32x4.splat (f32.const 0.254829592))))
    (local.set $tail
      (f32x4.mul
        (f32x4.mul (f32x4.mul (local.get $poly) (local.get $t)) (local.get $gaussian))
        (f32x4.splat (f32.const 0.5))))
    (local.set $phi
      (v128.bitselect
        (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $tail))
        (local.get $tail)
        (f32x4.gt (local.get $x) (f32x4.splat (f32.const 0)))))
    (f32x4.mul (local.get $x) (local.get $phi))
    (local.get $phi)
    (f32x4.mul (local.get $gaussian) (f32x4.splat (f32.const 0.3989422917366028))))

  ;; y = x·Φ(x), cdf = Φ(x), pdf = φ(x) for `count` elements.
  (func (export "gelu") (param $x i32) (param $y i32) (param $cdf i32) (param $pdf i32) (param $count i32)
    (local $i i32) (local $whole i32) (local $end i32) (local $vy v128) (local $vcdf v128) (local $vpdf v128)
    (local.set $whole (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
        (call $gelu (v128.load (i32.add (local.get $x) (local.get $i))))
        (local.set $vpdf)
        (local.set $vcdf)
        (local.set $vy)
        (v128.store (i32.add (local.get $y) (local.get $i)) (local.get $vy))
        (v128.store (i32.add (local.get $cdf) (local.get $i)) (local.get $vcdf))
        (v128.store (i32.add (local.get $pdf) (local.get $i)) (local.get $vpdf))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $scalars
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (call $gelu (v128.load32_zero (i32.add (local.get $x) (local.get $i))))
        (local.set $vpdf)
        (local.set $vcdf)
        (local.set $vy)
        (v128.store32_lane 0 (i32.add (local.get $y) (local.get $i)) (local.get $vy))
        (v128.store32_lane 0 (i32.add (local.get $cdf) (local.get $i)) (local.get $vcdf))
        (v128.store32_lane 0 (i32.add (local.get $pdf) (local.get $i)) (local.get $vpdf))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $scalars))))

  ;; Σ x² in float64: the gradient's norm for clipping (float32 sums of millions of terms drift).
  (func (export "sumOfSquares") (param $x i32) (param $count i32) (result f64)
    (local $i i32) (local $whole i32) (local $end i32)
    (local $v v128) (local $low v128) (local $high v128) (local $sums v128) (local $value f64) (local $sum f64)
    (local.set $whole (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
        (local.set $low (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $high
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $sums
          (f64x2.add
            (local.get $sums)
            (f64x2.add
              (f64x2.mul (local.get $low) (local.get $low))
              (f64x2.mul (local.get $high) (local.get $high)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vectors)))
    (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $sums)) (f64x2.extract_lane 1 (local.get $sums))))
    (block $done
      (loop $scalars
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $value (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $i)))))
        (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $value) (local.get $value))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $scalars)))
    (local.get $sum))

  ;; AdamW's settings for the update in progress, set by "adamw" (each as 4 equal lanes).
  (global $factor (mut v128) (v128.const i32x4 0 0 0 0))
  (global $beta1 (mut v128) (v128.const i32x4 0 0 0 0))
  (global $oneMinusBeta1 (mut v128) (v128.const i32x4 0 0 0 0))
  (global $beta2 (mut v128) (v128.const i32x4 0 0 0 0))
  (global $oneMinusBeta2 (mut v128) (v128.const i32x4 0 0 0 0))
  (global $decay (mut v128) (v128.const i32x4 0 0 0 0))
  (global $stepSize (mut v128) (v128.const i32x4 0 0 0 0))
  (global $correction2Sqrt (mut v128) (v128.const i32x4 0 0 0 0))
  (global $eps (mut v128) (v128.const i32x4 0 0 0 0))

  ;; One AdamW update in PyTorch's order (adamw.ts):  g ← factor·g;  m ← β1·m + (1−β1)·g;
  ;; v ← β2·v + (1−β2)·g²;  p ← decay·p − (m / (√v / √(1−β2^t) + ε))·step size.
  (func $adamw (param $p v128) (param $g v128) (param $m v128) (param $v v128) (result v128 v128 v128)
    (local.set $g (f32x4.mul (local.get $g) (global.get $factor)))
    (local.set $m
      (f32x4.add
        (f32x4.mul (local.get $m) (global.get $beta1))
        (f32x4.mul (local.get $g) (global.get $oneMinusBeta1))))
    (local.set $v
      (f32x4.add
        (f32x4.mul (local.get $v) (global.get $beta2))
        (f32x4.mul (f32x4.mul (local.get $g) (local.get $g)) (global.get $oneMinusBeta2))))
    (f32x4.sub
      (f32x4.mul (local.get $p) (global.get $decay))
      (f32x4.mul
        (f32x4.div
          (local.get $m)
          (f32x4.add (f32x4.div (f32x4.sqrt (local.get $v)) (global.get $correction2Sqrt)) (global.get $eps)))
        (global.get $stepSize)))
    (local.get $m)
    (local.get $v))

  (func (export "adamw")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32)
    (param $pOut i32) (param $mOut i32) (param $vOut i32) (param $count i32)
    (param $factor f32) (param $beta1 f32) (param $beta2 f32) (param $decay f32)
    (param $stepSize f32) (param $correction2Sqrt f32) (param $eps f32)
    (local $i i32) (local $whole i32) (local $end i32) (local $newP v128) (local $newM v128) (local $newV v128)
    (global.set $factor (f32x4.splat (local.get $factor)))
    (global.set $beta1 (f32x4.splat (local.get $beta1)))
    (global.set $oneMinusBeta1 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta1))))
    (global.set $beta2 (f32x4.splat (local.get $beta2)))
    (global.set $oneMinusBeta2 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta2))))
    (global.set $decay (f32x4.splat (local.get $decay)))
    (global.set $stepSize (f32x4.splat (local.get $stepSize)))
    (global.set $correction2Sqrt (f32x4.splat (local.get $correction2Sqrt)))
    (global.set $eps (f32x4.splat (local.get $eps)))
    (local.set $whole (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
        (call $adamw
          (v128.load (i32.add (local.get $p) (local.get $i)))
          (v128.load (i32.add (local.get $g) (local.get $i)))
          (v128.load (i32.add (local.get $m) (local.get $i)))
          (v128.load (i32.add (local.get $v) (local.get $i))))
        (local.set $newV)
        (local.set $newM)
        (local.set $newP)
        (v128.store (i32.add (local.get $pOut) (local.get $i)) (local.get $newP))
        (v128.store (i32.add (local.get $mOut) (local.get $i)) (local.get $newM))
        (v128.store (i32.add (local.get $vOut) (local.get $i)) (local.get $newV))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $scalars
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (call $adamw
          (v128.load32_zero (i32.add (local.get $p) (local.get $i)))
          (v128.load32_zero (i32.add (local.get $g) (local.get $i)))
          (v128.load32_zero (i32.add (local.get $m) (local.get $i)))
          (v128.load32_zero (i32.add (local.get $v) (local.get $i))))
        (local.set $newV)
        (local.set $newM)
        (local.set $newP)
        (v128.store32_lane 0 (i32.add (local.get $pOut) (local.get $i)) (local.get $newP))
        (v128.store32_lane 0 (i32.add (local.get $mOut) (local.get $i)) (local.get $newM))
        (v128.store32_lane 0 (i32.add (local.get $vOut) (local.get $i)) (local.get $newV))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $scalars))))

  ;; out = momentum·teacher + (1 − momentum)·student: the teacher's EMA.
  (func (export "ema") (param $teacher i32) (param $student i32) (param $out i32) (param $count i32) (param $momentum f32)
    (local $i i32) (local $whole i32) (local $end i32) (local $m v128) (local $oneMinus v128)
    (local.set $m (f32x4.splat (local.get $momentum)))
    (local.set $oneMinus (f32x4.splat (f32.sub (f32.const 1) (local.get $momentum))))
    (local.set $whole (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
        (v128.store
          (i32.add (local.get $out) (local.get $i))
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $teacher) (local.get $i))) (local.get $m))
            (f32x4.mul (v128.load (i32.add (local.get $student) (local.get $i))) (local.get $oneMinus))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $scalars
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store32_lane 0
          (i32.add (local.get $out) (local.get $i))
          (f32x4.add
            (f32x4.mul (v128.load32_zero (i32.add (local.get $teacher) (local.get $i))) (local.get $m))
            (f32x4.mul (v128.load32_zero (i32.add (local.get $student) (local.get $i))) (local.get $oneMinus))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $scalars))))

  ;; c[p] = op(a[p])·b[p] for p < batch: [m, k]·[k, n] = [m, n], all row-major; a is stored as
  ;; [k, m] when aTransposed is 1. Attention's products, which would otherwise be one XNNPACK op
  ;; per matrix or the backend's scalar batched loop. Each row of c is built 16
  ;; columns at a time (4 vectors, a(i, κ) splat across them), then 4, then one by one; every
  ;; element sums over κ in order, in float32.
  (func (export "batchMatMul")
    (param $a i32) (param $b i32) (param $c i32) (param $batch i32)
    (param $m i32) (param $k i32) (param $n i32) (param $aTransposed i32)
    (local $p i32) (local $i i32) (local $j i32) (local $left i32)
    (local $aStep i32) (local $aRowStep i32) (local $rowBytes i32)
    (local $aRow i32) (local $cRow i32) (local $aPtr i32) (local $bPtr i32)
    (local $av v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $sum f32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (if (local.get $aTransposed)
      (then
        (local.set $aStep (i32.shl (local.get $m) (i32.const 2)))
        (local.set $aRowStep (i32.const 4)))
      (else
        (local.set $aStep (i32.const 4))
        (local.set $aRowStep (i32.shl (local.get $k) (i32.const 2)))))
    (block $batchDone
      (loop $products
        (br_if $batchDone (i32.ge_u (local.get $p) (local.get $batch)))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $aRow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRowStep))))
            (local.set $cRow (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $rowBytes))))
            (local.set $j (i32.const 0))
            ;; 16 columns at a time
            (block $wideDone
              (loop $wide
                (br_if $wideDone (i32.gt_u (i32.add (local.get $j) (i32.const 64)) (local.get $rowBytes)))
                (local.set $acc0 (v128.const i32x4 0 0 0 0))
                (local.set $acc1 (v128.const i32x4 0 0 0 0))
                (local.set $acc2 (v128.const i32x4 0 0 0 0))
                (local.set $acc3 (v128.const i32x4 0 0 0 0))
                (local.set $aPtr (local.get $aRow))
                (local.set $bPtr (i32.add (local.get $b) (local.get $j)))
                (local.set $left (local.get $k))
                (block $innerDone
                  (loop $inner
                    (br_if $innerDone (i32.eqz (local.get $left)))
                    (local.set $av (f32x4.splat (f32.load (local.get $aPtr))))
                    (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $av) (v128.load (local.get $bPtr)))))
                    (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $av) (v128.load offset=16 (local.get $bPtr)))))
                    (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $av) (v128.load offset=32 (local.get $bPtr)))))
                    (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $av) (v128.load offset=48 (local.get $bPtr)))))
                    (local.set $aPtr (i32.add (local.get $aPtr) (local.get $aStep)))
                    (local.set $bPtr (i32.add (local.get $bPtr) (local.get $rowBytes)))
                    (local.set $left (i32.sub (local.get $left) (i32.const 1)))
                    (br $inner)))
                (v128.store (i32.add (local.get $cRow) (local.get $j)) (local.get $acc0))
                (v128.store offset=16 (i32.add (local.get $cRow) (local.get $j)) (local.get $acc1))
                (v128.store offset=32 (i32.add (local.get $cRow) (local.get $j)) (local.get $acc2))
                (v128.store offset=48 (i32.add (local.get $cRow) (local.get $j)) (local.get $acc3))
                (local.set $j (i32.add (local.get $j) (i32.const 64)))
                (br $wide)))
            ;; 4 columns at a time
            (block $narrowDone
              (loop $narrow
                (br_if $narrowDone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $rowBytes)))
                (local.set $acc0 (v128.const i32x4 0 0 0 0))
                (local.set $aPtr (local.get $aRow))
                (local.set $bPtr (i32.add (local.get $b) (local.get $j)))
                (local.set $left (local.get $k))
                (block $innerDone
                  (loop $inner
                    (br_if $innerDone (i32.eqz (local.get $left)))
                    (local.set $acc0
                      (f32x4.add
                        (local.get $acc0)
                        (f32x4.mul (f32x4.splat (f32.load (local.get $aPtr))) (v128.load (local.get $bPtr)))))
                    (local.set $aPtr (i32.add (local.get $aPtr) (local.get $aStep)))
                    (local.set $bPtr (i32.add (local.get $bPtr) (local.get $rowBytes)))
                    (local.set $left (i32.sub (local.get $left) (i32.const 1)))
                    (br $inner)))
                (v128.store (i32.add (local.get $cRow) (local.get $j)) (local.get $acc0))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $narrow)))
            ;; the last columns one by one
            (block $scalarsDone
              (loop $scalars
                (br_if $scalarsDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (local.set $sum (f32.const 0))
                (local.set $aPtr (local.get $aRow))
                (local.set $bPtr (i32.add (local.get $b) (local.get $j)))
                (local.set $left (local.get $k))
                (block $innerDone
                  (loop $inner
                    (br_if $innerDone (i32.eqz (local.get $left)))
                    (local.set $sum
                      (f32.add (local.get $sum) (f32.mul (f32.load (local.get $aPtr)) (f32.load (local.get $bPtr)))))
                    (local.set $aPtr (i32.add (local.get $aPtr) (local.get $aStep)))
                    (local.set $bPtr (i32.add (local.get $bPtr) (local.get $rowBytes)))
                    (local.set $left (i32.sub (local.get $left) (i32.const 1)))
                    (br $inner)))
                (f32.store (i32.add (local.get $cRow) (local.get $j)) (local.get $sum))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $scalars)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (local.set $a (i32.add (local.get $a) (i32.shl (i32.mul (local.get $m) (local.get $k)) (i32.const 2))))
        (local.set $b (i32.add (local.get $b) (i32.shl (i32.mul (local.get $k) (local.get $n)) (i32.const 2))))
        (local.set $c (i32.add (local.get $c) (i32.shl (i32.mul (local.get $m) (local.get $n)) (i32.const 2))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $products))))

  ;; out[j] = Σ_i x[i, j] over the rows of x [rows, cols], row by row: the bias and norm gradients.
  (func (export "columnSums") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32) (local $rowBytes i32) (local $whole i32) (local $row i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $whole (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (local.get $rowBytes))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $row (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $j (i32.const 0))
        (block $done
          (loop $vectors
            (br_if $done (i32.ge_u (local.get $j) (local.get $whole)))
            (v128.store
              (i32.add (local.get $out) (local.get $j))
              (f32x4.add
                (v128.load (i32.add (local.get $out) (local.get $j)))
                (v128.load (i32.add (local.get $row) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $vectors)))
        (block $done
          (loop $scalars
            (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (f32.store
              (i32.add (local.get $out) (local.get $j))
              (f32.add
                (f32.load (i32.add (local.get $out) (local.get $j)))
                (f32.load (i32.add (local.get $row) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $scalars)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowsLoop))))

  ;; out[p] = x[p]ᵀ for p < batch, x[p] of [rows, cols]: 4 × 4 blocks through registers (4 loads,
  ;; 8 shuffles, 4 stores), the edges one element at a time.
  (func (export "transpose") (param $x i32) (param $out i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $p i32) (local $i i32) (local $j i32) (local $rows4 i32) (local $cols4 i32)
    (local $inRow i32) (local $outRow i32) (local $from i32) (local $to i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    ;; byte strides of one input row and one output row
    (local.set $inRow (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $outRow (i32.shl (local.get $rows) (i32.const 2)))
    (block $batchDone
      (loop $products
        (br_if $batchDone (i32.ge_u (local.get $p) (local.get $batch)))
        (local.set $i (i32.const 0))
        (block $blockRowsDone
          (loop $blockRows
            (br_if $blockRowsDone (i32.ge_u (local.get $i) (local.get $rows4)))
            (local.set $j (i32.const 0))
            (block $blocksDone
              (loop $blocks
                (br_if $blocksDone (i32.ge_u (local.get $j) (local.get $cols4)))
                ;; from = &x[i, j], to = &out[j, i]
                (local.set $from
                  (i32.add (local.get $x)
                    (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
                (local.set $to
                  (i32.add (local.get $out)
                    (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2))))
                (local.set $r0 (v128.load (local.get $from)))
                (local.set $r1 (v128.load (i32.add (local.get $from) (local.get $inRow))))
                (local.set $r2 (v128.load (i32.add (local.get $from) (i32.shl (local.get $inRow) (i32.const 1)))))
                (local.set $r3 (v128.load (i32.add (local.get $from) (i32.mul (local.get $inRow) (i32.const 3)))))
                ;; t0 = r0[0] r1[0] r0[1] r1[1], t1 = r0[2] r1[2] r0[3] r1[3], t2, t3 alike for r2, r3
                (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                (v128.store (local.get $to)
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $to) (local.get $outRow))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $to) (i32.shl (local.get $outRow) (i32.const 1)))
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                (v128.store (i32.add (local.get $to) (i32.mul (local.get $outRow) (i32.const 3)))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $blocks)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $blockRows)))
        ;; the last cols % 4 columns of every row, then the last rows % 4 rows
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rowsLoop
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
            (local.set $j (select (local.get $cols4) (i32.const 0) (i32.lt_u (local.get $i) (local.get $rows4))))
            (block $colsDone
              (loop $colsLoop
                (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
                (f32.store
                  (i32.add (local.get $out)
                    (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2)))
                  (f32.load
                    (i32.add (local.get $x)
                      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $colsLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rowsLoop)))
        (local.set $x (i32.add (local.get $x) (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $products))))
)
