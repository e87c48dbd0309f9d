#!/usr/bin/env node
// The `portcullis-keys` bin: runs cli/keys.ts through tsx's CommonJS loader (tsx must be installed where it runs).
require('tsx/cjs/api').register();
require('../keys.ts');
