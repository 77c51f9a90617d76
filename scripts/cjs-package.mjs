// Marks dist/cjs as CommonJS so Node loads its .js files with require semantics.
import { writeFileSync } from 'node:fs';
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
