/**
 * The library's schema, as an ordered list of migrations. A migration is never edited once it
 * has landed: later changes are new entries. `PRAGMA user_version` records how far a file is.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'folders, images, pixels; models, runs, checkpoints, embeddings, projections, clusters',
    sql: `
      CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,            -- absolute, as the user gave it (resolved)
        added_at INTEGER NOT NULL,            -- unix ms
        last_scan_started_at INTEGER,
        last_scan_finished_at INTEGER         -- NULL while a scan is unfinished: the next one resumes
      );

      CREATE TABLE images (
        id INTEGER PRIMARY KEY,               -- stable across moves and renames (matched by hash)
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE,            -- absolute
        rel_path TEXT NOT NULL,               -- relative to the folder; its first segment may be a class
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        hash TEXT,                            -- hex content hash; NULL when the file could not be read
        format TEXT,                          -- jpeg | png | webp | tiff | gif | avif | heif
        width INTEGER,                        -- as displayed (EXIF orientation applied)
        height INTEGER,
        captured_at TEXT,                     -- EXIF DateTimeOriginal, ISO 8601, when present
        status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'missing')),
        error TEXT,                           -- human-readable reason when status = 'error'
        read_again INTEGER NOT NULL DEFAULT 0, -- 1 after an I/O error: the next scan rereads it even if unchanged
        scanned_at INTEGER NOT NULL           -- unix ms of the scan that last looked at it
      );
      CREATE INDEX images_folder ON images(folder_id);
      CREATE INDEX images_hash ON images(hash);
      CREATE INDEX images_status ON images(status);

      -- Kept apart from images so that listing and scanning never page through pixel blobs.
      CREATE TABLE image_pixels (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        thumbnail BLOB NOT NULL,              -- about 256 px long side
        thumbnail_mime TEXT NOT NULL,
        train BLOB NOT NULL,                  -- training-ready copy, short side 256 px
        train_format TEXT NOT NULL,           -- how 'train' is encoded (e.g. 'jpeg', 'rgb8')
        train_width INTEGER NOT NULL,
        train_height INTEGER NOT NULL
      );

      CREATE TABLE training_runs (
        id INTEGER PRIMARY KEY,
        config TEXT NOT NULL,                 -- JSON of the resolved training config
        status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'finished', 'failed', 'cancelled')),
        dir TEXT NOT NULL,                    -- folder holding checkpoints and the per-step log
        epoch INTEGER NOT NULL DEFAULT 0,
        step INTEGER NOT NULL DEFAULT 0,
        message TEXT,                         -- why it stopped, when it did not finish
        started_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        step INTEGER NOT NULL,
        loss REAL,
        created_at INTEGER NOT NULL
      );

      -- A model is a backbone whose embeddings we store: trained here or imported.
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL CHECK (source IN ('trained', 'imported')),
        config TEXT NOT NULL,                 -- JSON ViT config (arch, patch size, dims, image size)
        weights_path TEXT NOT NULL,           -- safetensors, official backbone tensor names
        onnx_path TEXT,                       -- exported ONNX graph, when built
        run_id INTEGER REFERENCES training_runs(id) ON DELETE SET NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE embeddings (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,                 -- float32 little-endian, L2-normalised
        created_at INTEGER NOT NULL,
        PRIMARY KEY (model_id, image_id)
      ) WITHOUT ROWID;
      CREATE INDEX embeddings_image ON embeddings(image_id);

      CREATE TABLE projections (
        model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
        params TEXT NOT NULL,                 -- JSON: neighbours, min distance, seed, ...
        embeddings_fingerprint TEXT NOT NULL, -- the projection is stale when this no longer matches
        summary TEXT NOT NULL DEFAULT '{}',   -- JSON: timings, cluster count, agreement with class folders
        created_at INTEGER NOT NULL
      );
      CREATE TABLE projection_points (
        model_id INTEGER NOT NULL REFERENCES projections(model_id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        x REAL NOT NULL,
        y REAL NOT NULL,
        PRIMARY KEY (model_id, image_id)
      ) WITHOUT ROWID;

      CREATE TABLE clusters (
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        cluster INTEGER NOT NULL,             -- -1 is the noise group
        size INTEGER NOT NULL,
        representatives TEXT NOT NULL,        -- JSON array of image ids, most representative first
        PRIMARY KEY (model_id, cluster)
      ) WITHOUT ROWID;
      CREATE TABLE cluster_members (
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        cluster INTEGER NOT NULL,
        PRIMARY KEY (model_id, image_id)
      ) WITHOUT ROWID;

      -- Last-block CLS attention per head on the patch grid, so the UI toggles heads without a forward pass.
      CREATE TABLE attention_maps (
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        long_side INTEGER NOT NULL,           -- model input size, long side in px (a multiple of the patch)
        image_hash TEXT,                      -- the photo's content hash when computed: stale when it changes
        grid_width INTEGER NOT NULL,
        grid_height INTEGER NOT NULL,
        heads INTEGER NOT NULL,
        attention BLOB NOT NULL,              -- float32 [heads, grid_height, grid_width]: the CLS row, patch columns
        created_at INTEGER NOT NULL,
        PRIMARY KEY (model_id, image_id, long_side)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'tags: names, which photos carry them (by image id), and an undo log',
    sql: `
      CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE, -- "Cats" and "cats" are one tag
        created_at INTEGER NOT NULL
      );

      -- Keyed by image id, never by path: a tag survives rescans, moves and renames of its photo.
      CREATE TABLE image_tags (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('manual', 'accepted')), -- accepted = a suggestion a person confirmed
        created_at INTEGER NOT NULL,
        PRIMARY KEY (image_id, tag_id)
      ) WITHOUT ROWID;
      CREATE INDEX image_tags_tag ON image_tags(tag_id);

      -- The last tag operations, each with the steps that undo it (JSON), newest last.
      CREATE TABLE tag_undo (
        id INTEGER PRIMARY KEY,
        description TEXT NOT NULL,
        inverse TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
];
