/**
 * Prints the SE cost table for ResNet-50/101/152 (docs/cost-table.md).
 * Run: `npm run build:scripts && node build/js/demo/cost-table.js`
 */
import { formatSECostTable, seCostTableRows } from '../src/cost/index.js';

const rows = seCostTableRows();
console.log(formatSECostTable(rows));
console.log('');
console.log('Exact extra counts (r = 16, no bias, one 224x224 image):');
for (const r of rows) {
  const b = r.cost.breakdown;
  console.log(
    `${r.model}: params ${r.extraParams}, flops ${r.extraFlops} = fc ${b.fc} + pooling ${b.pooling} + scaling ${b.scaling} + gate ${b.gate} + activation ${b.activation} + bias ${b.bias}`,
  );
}
console.log('');
console.log('With biases (timm / torchvision SE-ResNets, bias: true):');
for (const r of seCostTableRows({ bias: true })) {
  console.log(`${r.model}: extra params ${r.extraParams}, SE params ${r.baseParams + r.extraParams} (${r.seParamsM.toFixed(2)}M), extra flops ${r.extraFlops}`);
}
