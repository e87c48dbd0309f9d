#!/usr/bin/env node
// In-repo shim of `portcullis keys`: runs cli/keys.ts through tsx's CommonJS loader (tsx must be installed where it
// runs). The installed package's bin is `portcullis` (compiled JS, cli/portcullis.ts).
require('tsx/cjs/api').register();
require('../keys.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
