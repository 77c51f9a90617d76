/** The demo's teacher-student training (the configuration `npm run demo` uses) and its SVG. */
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
});
