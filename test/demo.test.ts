/** The demo's teacher-student training (the configuration `npm run demo` uses) and its SVG. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainingSvg } from '../demo/svg.js';
import { DEFAULT_TRAIN_CONFIG, trainStudent } from '../demo/train.js';

test('SGD on the tape makes the student imitate the teacher: the loss drops at least 100x', () => {
  const r = trainStudent(DEFAULT_TRAIN_CONFIG);
  expect(r.firstLoss / r.lastLoss).toBeGreaterThanOrEqual(100);
  // The learned excitations approach the teacher's.
  const gap = Math.max(...r.teacherExcitation.map((t, i) => Math.abs(t - r.studentExcitation[i])));
  expect(gap).toBeLessThan(0.02);
  const svg = trainingSvg(r);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.match(/<rect [^>]*fill="#2ca02c"/g)!.length).toBeGreaterThanOrEqual(DEFAULT_TRAIN_CONFIG.channels);
  expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+"/);
  // Both panels have titled axes.
  for (const label of ['MSE loss (log scale)', 'SGD step', 'excitation (gate value)', 'channel']) expect(svg).toContain(`>${label}</text>`);
});

test('the demo and the MNIST example keep their outputs in their own folders; recompiling removes neither', () => {
  const root = join(__dirname, '..');
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
  expect(scripts['build:scripts']).toBe('node scripts/clean.mjs build/js && tsc -p tsconfig.scripts.json');
  expect(JSON.parse(readFileSync(join(root, 'tsconfig.scripts.json'), 'utf8')).compilerOptions.outDir).toBe('build/js');
  expect(readFileSync(join(root, 'demo/demo.ts'), 'utf8')).toContain("const file = 'build/demo/se-training.svg';");
  expect(readFileSync(join(root, 'examples/mnist/main.ts'), 'utf8')).toContain("const dir = join('build', 'mnist');");
});
