#!/usr/bin/python3
"""Golden files from real PyTorch for se-kernels' tests (CI has no torch; the files are committed).

How to run (from the repository root; needs Debian's python3-torch and python3-torchvision, i.e.
torch 1.13 and torchvision 0.14, which only Debian's own interpreter sees):

    /usr/bin/python3 scripts/torch/make-fixtures.py

It (re)writes these files into test/fixtures/torch/, deterministically (fixed seeds, one CPU
thread), each a safetensors file written by this script (the `safetensors` package is not needed):

  seattention.safetensors      the seed's PyTorch `SEAttention(channel=32, reduction=8)` (written
                               below: Linear/ReLU/Linear/Sigmoid named `fc`, no bias): its state
                               dict (`fc.0.weight [4, 32]`, `fc.2.weight [32, 4]`) and `golden.x`
                               [3, 32, 5, 5], `golden.y`, an upstream gradient `golden.dy`, and torch
                               autograd's `golden.dx`, `golden.dw1` (= fc.0.weight.grad),
                               `golden.dw2` (= fc.2.weight.grad).
  torchvision-se.safetensors   `torchvision.ops.SqueezeExcitation(24, 8)` (ReLU, Sigmoid) with
                               random biases: `fc1.weight [8, 24, 1, 1]`, `fc1.bias`, `fc2.weight`,
                               `fc2.bias`, and `golden.x` [2, 24, 6, 6], `golden.y`, `golden.dy`,
                               `golden.dx`, `golden.dw1`, `golden.db1`, `golden.dw2`, `golden.db2`
                               (grads in torch's shapes, e.g. dw1 [8, 24, 1, 1]).
  torchvision-se-silu-hardsigmoid.safetensors
                               the same with `activation=nn.SiLU, scale_activation=nn.Hardsigmoid`;
                               the gate's inputs span about -5..5, so some are saturated (zero
                               derivative) and most are not.
  mobilenet_v3_small.safetensors
                               the whole state dict of `torchvision.models.mobilenet_v3_small(
                               weights=None, width_mult=0.25, reduced_tail=True, num_classes=10)`,
                               exactly as torch holds it (F32, and I64 scalars for every
                               `num_batches_tracked`), after three train-mode forward passes (so
                               BatchNorm running statistics are not the defaults and
                               num_batches_tracked is 3). Metadata `se_blocks`: a JSON list of
                               {prefix, channels, hidden, bias} for every SqueezeExcitation module.
  mobilenet_v3_small.se-probe.safetensors
                               one of its SE blocks (metadata `prefix`, `features.5.block.2.`) run
                               by torch in eval mode on the activation it receives inside the
                               network for a random image batch: `golden.x`, `golden.y`, and the
                               backward of a random `golden.dy` (`golden.dx`, `golden.dw1`, ...).
  dtypes.safetensors           every dtype torch stores in the format, made by torch's own
                               conversions, with torch's float64 view of each; an SE block
                               (torchvision SqueezeExcitation(16, 4)) stored in BF16 with torch's
                               output from the upcast weights (see make_dtypes).
  optim.safetensors            optimizer trajectories: two parameters `p0` [5, 3] and `p1` [4]
                               (`p0.init`, `p1.init`), 20 steps of gradients (`p0.grads` [20, 5, 3],
                               `p1.grads` [20, 4]; set as p.grad before each step), and for every
                               case the parameters after every step (`<case>.p0` [20, 5, 3],
                               `<case>.p1` [20, 4]) and the optimizer state at the end
                               (`<case>.p0.state.<key>`, key one of step, momentum_buffer, exp_avg,
                               exp_avg_sq, max_exp_avg_sq). Metadata `cases`: a JSON list of
                               {name, optimizer, options (torch's keyword arguments), lr_changes
                               ([[step, lr], ...]: set param_groups' lr before that step, 0-based),
                               p1_none_steps (steps at which p1.grad is None)}.
  recipe.safetensors           written by the README's recipe, scripts/torch/to_safetensors.py
                               (no metadata): a small Conv2d + BatchNorm2d + SqueezeExcitation(16, 8)
                               state dict and copies of one weight in F16, BF16, F64, I32, U8, BOOL.
                               The recipe's output is checked here against torch's own bytes, also
                               for the mobilenet_v3_small fixture's state dict and a width-1.0 model
                               (those two not committed); see make_recipe.

  checkpoint-torch-adam.safetensors, checkpoint-torch-sgd.safetensors
                               checkpoints in se-kernels' one-file layout (docs/checkpoints.md:
                               `model.*` tensors, `optimizer.state.<i>.<key>` tensors, metadata
                               `model` and `optimizer` JSON) of a `SqueezeExcitation(6, 3)` trained
                               by torch for 3 steps (loss 0.5 * sum((y - t)^2)) with Adam (AMSGrad,
                               weight decay) and with SGD (momentum, dampening), converted from
                               torch's own `state_dict()`s key for key.
  checkpoint-torch.golden.safetensors
                               the batch `x` [2, 6, 3, 3] and target `t` of those runs, and for each
                               run (`adam`, `sgd`) torch's gradients (`<run>.grads.<key>` [3, ...])
                               and weights (`<run>.after.<key>` [3, ...]) at each of the 3 steps
                               after the checkpoint, key one of fc1.weight, fc1.bias, ... .
  js-continued.safetensors     what torch does with files se-kernels wrote (test/fixtures/torch/js-*,
                               written and checked by test/torch.checkpoint.test.ts): `block.y`,
                               `js-block.safetensors` (a `block.stateDict()`) loaded into
                               SqueezeExcitation with load_state_dict(strict=True) and run on
                               `js-inputs.safetensors`' `x`; for `adam` and `sgd`, the checkpoints
                               `js-checkpoint-<run>.safetensors` loaded into a SqueezeExcitation and
                               torch.optim (strict, load_state_dict) and stepped 3 more times on
                               `x`, `t`: `<run>.y` (the loaded model's output) and `<run>.after.<key>`.

Run `make-fixtures.py checkpoints` to (re)write only the checkpoint files.

Every file's metadata also records `torch` and `torchvision` versions and a `description`. The
`golden.*` names use the library's w1/b1/w2/b2 naming; metadata `golden` maps each to torch's name.
"""
import json
import os
import struct
import sys
import tempfile

import torch
import torch.nn as nn
import torchvision
from torchvision.models._utils import _make_divisible
from torchvision.ops import SqueezeExcitation

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'torch')

DTYPES = {
    torch.float32: ('F32', 4),
    torch.float16: ('F16', 2),
    torch.bfloat16: ('BF16', 2),
    torch.float64: ('F64', 8),
    torch.int64: ('I64', 8),
    torch.int32: ('I32', 4),
    torch.int16: ('I16', 2),
    torch.int8: ('I8', 1),
    torch.uint8: ('U8', 1),
    torch.bool: ('BOOL', 1),
}


def tensor_bytes(t):
    """The tensor's data, dense row-major, little-endian."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()


def write_safetensors(path, tensors, metadata):
    """Writes the safetensors format: u64 LE header length, JSON header (metadata first, then the
    tensors in sorted name order), padded with spaces to a multiple of 8 bytes, then the data."""
    names = sorted(tensors)
    header = {'__metadata__': {k: str(metadata[k]) for k in sorted(metadata)}}
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name]
        dtype, size = DTYPES[t.dtype]
        data = tensor_bytes(t)
        assert len(data) == t.numel() * size
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    check_file(path, tensors)
    print(f'wrote {os.path.relpath(path)}: {len(names)} tensors, {os.path.getsize(path)} bytes')


def split_file(path):
    """A safetensors file's parts as stored: the header's length, the parsed header, the data bytes."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    return n, json.loads(raw[8:8 + n].decode('utf-8')), raw[8 + n:]


def check_file(path, tensors):
    """Reads the file back independently of the writer's bookkeeping and compares every tensor."""
    n, header, body = split_file(path)
    assert n % 8 == 0
    names = [k for k in header if k != '__metadata__']
    assert names == sorted(tensors), 'tensors are not in sorted order'
    end = 0
    for name in names:
        info = header[name]
        b, e = info['data_offsets']
        assert b == end, 'holes between tensors'
        end = e
        t = tensors[name].detach().contiguous()
        assert info['shape'] == list(t.shape)
        assert body[b:e] == tensor_bytes(t)
    assert end == len(body), 'trailing bytes'


def base_metadata(description, golden=None):
    m = {
        'format': 'pt',
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'generator': 'scripts/torch/make-fixtures.py',
        'description': description,
    }
    if golden is not None:
        m['golden'] = json.dumps(golden, sort_keys=True)
    return m


# ---------------------------------------------------------------------------------------------
# 1. The seed's SEAttention


class SEAttention(nn.Module):
    """The classic PyTorch SE block of the project's seed (no biases)."""

    def __init__(self, channel=512, reduction=16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channel, channel // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channel // reduction, channel, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        y = self.fc(y).view(b, c, 1, 1)
        return x * y.expand_as(x)


def inputs(gen, n, c, h, w):
    """x with per-channel offsets (so the squeezed means spread like real activations) and a
    non-uniform upstream gradient dy."""
    x = torch.randn(n, c, h, w, generator=gen) + torch.randn(n, c, 1, 1, generator=gen)
    dy = torch.randn(n, c, h, w, generator=gen) * (1 + torch.rand(1, c, 1, 1, generator=gen))
    return x, dy


def run_block(module, x, dy):
    """Forward and backward through `module` by torch autograd; returns y, dx."""
    module.zero_grad(set_to_none=True)
    xin = x.clone().requires_grad_(True)
    y = module(xin)
    y.backward(dy)
    return y.detach(), xin.grad.detach()


def hidden_preactivation(fc1_weight, fc1_bias, x):
    """a = W1 z + b1 for the squeezed x, in float64, to keep the fixtures away from ReLU's kink."""
    z = x.double().mean(dim=(2, 3))
    w = fc1_weight.double().reshape(fc1_weight.shape[0], -1)
    a = z @ w.t()
    if fc1_bias is not None:
        a = a + fc1_bias.double()
    return a


def assert_clear_of(values, points, margin, what):
    for p in points:
        gap = (values - p).abs().min().item()
        assert gap > margin, f'{what}: a value lies within {gap:.2e} of {p}; pick another seed'


def make_seattention():
    gen = torch.Generator().manual_seed(1)
    c, r, n, h, w = 32, 8, 3, 5, 5
    m = SEAttention(channel=c, reduction=r)
    with torch.no_grad():
        # The seed's init_weights (std 0.001) gives a gate of ~0.5 everywhere; use larger weights.
        m.fc[0].weight.copy_(torch.randn(c // r, c, generator=gen) * 0.4)
        m.fc[2].weight.copy_(torch.randn(c, c // r, generator=gen) * 0.8)
    x, dy = inputs(gen, n, c, h, w)
    a = hidden_preactivation(m.fc[0].weight, None, x)
    assert (a > 0).any() and (a < 0).any()
    assert_clear_of(a, [0.0], 1e-3, 'SEAttention relu input')
    y, dx = run_block(m, x, dy)
    sd = m.state_dict()
    assert sorted(sd) == ['fc.0.weight', 'fc.2.weight']
    tensors = dict(sd)
    tensors.update({
        'golden.x': x, 'golden.y': y, 'golden.dy': dy, 'golden.dx': dx,
        'golden.dw1': m.fc[0].weight.grad, 'golden.dw2': m.fc[2].weight.grad,
    })
    golden = {'golden.dw1': 'fc.0.weight.grad', 'golden.dw2': 'fc.2.weight.grad', 'golden.dx': 'x.grad',
              'golden.y': 'module(x)', 'golden.dy': 'upstream gradient: module(x).backward(dy)'}
    write_safetensors(os.path.join(OUT, 'seattention.safetensors'), tensors, base_metadata(
        'SEAttention(channel=32, reduction=8) of the seed (Linear/ReLU/Linear/Sigmoid, no bias), '
        'forward and backward by torch autograd', golden))


# ---------------------------------------------------------------------------------------------
# 2. torchvision.ops.SqueezeExcitation


def make_torchvision_se(name, seed, activation, scale_activation, gate_std):
    gen = torch.Generator().manual_seed(seed)
    c, r, n, h, w = 24, 8, 2, 6, 6
    kwargs = {}
    if activation is not None:
        kwargs = {'activation': activation, 'scale_activation': scale_activation}
    m = SqueezeExcitation(c, r, **kwargs)
    x, dy = inputs(gen, n, c, h, w)
    with torch.no_grad():
        m.fc1.weight.copy_(torch.randn(r, c, 1, 1, generator=gen) * 0.3)
        m.fc1.bias.copy_(torch.randn(r, generator=gen) * 0.5)
        m.fc2.weight.copy_(torch.randn(c, r, 1, 1, generator=gen))
        m.fc2.bias.copy_(torch.randn(c, generator=gen) * 0.5)
        # Scale the expanding layer so that the gate's input g has the standard deviation asked for.
        a = hidden_preactivation(m.fc1.weight, m.fc1.bias, x)
        hid = m.activation(a.float()).double()
        g = hid @ m.fc2.weight.double().reshape(c, r).t() + m.fc2.bias.double()
        k = gate_std / g.std().item()
        m.fc2.weight.mul_(k)
        m.fc2.bias.mul_(k)
        g = hid @ m.fc2.weight.double().reshape(c, r).t() + m.fc2.bias.double()
    if isinstance(m.activation, nn.ReLU):
        assert (a > 0).any() and (a < 0).any()
        assert_clear_of(a, [0.0], 1e-3, f'{name} relu input')
    if isinstance(m.scale_activation, nn.Hardsigmoid):
        inside = ((g > -3) & (g < 3)).double().mean().item()
        assert 0.6 < inside < 1 and (g < -3).any() and (g > 3).any(), f'{name}: gate inputs {inside:.2f} unsaturated'
        assert_clear_of(g, [-3.0, 3.0], 1e-3, f'{name} hardsigmoid input')
        print(f'  {name}: gate input range [{g.min().item():.2f}, {g.max().item():.2f}], {inside:.0%} unsaturated')
    y, dx = run_block(m, x, dy)
    tensors = dict(m.state_dict())
    assert sorted(tensors) == ['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']
    tensors.update({
        'golden.x': x, 'golden.y': y, 'golden.dy': dy, 'golden.dx': dx,
        'golden.dw1': m.fc1.weight.grad, 'golden.db1': m.fc1.bias.grad,
        'golden.dw2': m.fc2.weight.grad, 'golden.db2': m.fc2.bias.grad,
    })
    golden = {'golden.dw1': 'fc1.weight.grad', 'golden.db1': 'fc1.bias.grad', 'golden.dw2': 'fc2.weight.grad',
              'golden.db2': 'fc2.bias.grad', 'golden.dx': 'x.grad', 'golden.y': 'module(x)',
              'golden.dy': 'upstream gradient: module(x).backward(dy)'}
    write_safetensors(os.path.join(OUT, name + '.safetensors'), tensors, base_metadata(
        f'torchvision.ops.{m!r}'.replace('\n', ' ') + ', forward and backward by torch autograd', golden))


# ---------------------------------------------------------------------------------------------
# 3. A whole MobileNetV3-Small state dict


def make_mobilenet():
    torch.manual_seed(3)
    kwargs = {'width_mult': 0.25, 'reduced_tail': True, 'num_classes': 10}
    model = torchvision.models.mobilenet_v3_small(weights=None, **kwargs)
    gen = torch.Generator().manual_seed(4)
    with torch.no_grad():
        # torchvision initialises BatchNorm to weight 1, bias 0 and SE biases to 0; a trained network's are not.
        for mod in model.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.copy_(1 + 0.1 * torch.randn(mod.weight.shape, generator=gen))
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=gen))
            if isinstance(mod, SqueezeExcitation):
                mod.fc1.bias.copy_(0.2 * torch.randn(mod.fc1.bias.shape, generator=gen))
                mod.fc2.bias.copy_(0.5 * torch.randn(mod.fc2.bias.shape, generator=gen))
        model.train()
        for _ in range(3):
            model(torch.randn(4, 3, 64, 64, generator=gen))
    model.eval()
    se_blocks = []
    for prefix, mod in model.named_modules():
        if isinstance(mod, SqueezeExcitation):
            se_blocks.append({'prefix': prefix + '.', 'channels': mod.fc1.in_channels,
                              'hidden': mod.fc1.out_channels, 'bias': mod.fc1.bias is not None})
            assert mod.fc1.out_channels == _make_divisible(mod.fc1.in_channels // 4, 8)
            assert isinstance(mod.activation, nn.ReLU) and isinstance(mod.scale_activation, nn.Hardsigmoid)
    sd = model.state_dict()
    assert sum(1 for k in sd if k.endswith('num_batches_tracked')) > 0
    assert all(v.dtype in (torch.float32, torch.int64) for v in sd.values())
    assert all(int(v) == 3 for k, v in sd.items() if k.endswith('num_batches_tracked'))
    model_call = 'torchvision.models.mobilenet_v3_small(weights=None, width_mult=0.25, reduced_tail=True, num_classes=10)'
    meta = base_metadata(model_call + ' state dict (BatchNorm and SE biases randomised, 3 train-mode forward passes)')
    meta['model'] = model_call
    meta['se_blocks'] = json.dumps(se_blocks)
    write_safetensors(os.path.join(OUT, 'mobilenet_v3_small.safetensors'), dict(sd), meta)

    # One SE block, fed the activation it receives inside the network.
    probe = 'features.5.block.2'
    se = model.get_submodule(probe)
    captured = {}
    hook = se.register_forward_hook(lambda mod, args, out: captured.update(x=args[0].detach().clone(), y=out.detach().clone()))
    with torch.no_grad():
        model(torch.randn(2, 3, 64, 64, generator=gen))
    hook.remove()
    x = captured['x']
    a = hidden_preactivation(se.fc1.weight, se.fc1.bias, x)
    g = torch.relu(a) @ se.fc2.weight.double().reshape(se.fc2.out_channels, -1).t() + se.fc2.bias.double()
    assert_clear_of(a, [0.0], 1e-3, 'mobilenet probe relu input')
    assert_clear_of(g, [-3.0, 3.0], 1e-3, 'mobilenet probe hardsigmoid input')
    dy = torch.randn(x.shape, generator=gen)
    y, dx = run_block(se, x, dy)
    assert torch.equal(y, captured['y'])
    tensors = {
        'golden.x': x, 'golden.y': y, 'golden.dy': dy, 'golden.dx': dx,
        'golden.dw1': se.fc1.weight.grad, 'golden.db1': se.fc1.bias.grad,
        'golden.dw2': se.fc2.weight.grad, 'golden.db2': se.fc2.bias.grad,
    }
    golden = {'golden.dw1': probe + '.fc1.weight.grad', 'golden.db1': probe + '.fc1.bias.grad',
              'golden.dw2': probe + '.fc2.weight.grad', 'golden.db2': probe + '.fc2.bias.grad',
              'golden.x': f'the input {probe} receives in model.eval() for a random [2, 3, 64, 64] batch',
              'golden.y': f'{probe}(x)', 'golden.dx': 'x.grad', 'golden.dy': 'upstream gradient'}
    meta = base_metadata(f'{probe} of mobilenet_v3_small.safetensors (ReLU, Hardsigmoid) forward and backward', golden)
    meta['prefix'] = probe + '.'
    meta['model'] = model_call
    print(f'  probe {probe}: gate input range [{g.min().item():.2f}, {g.max().item():.2f}]')
    write_safetensors(os.path.join(OUT, 'mobilenet_v3_small.se-probe.safetensors'), tensors, meta)
    return sd


# ---------------------------------------------------------------------------------------------
# 4. Optimizer trajectories

STEPS = 20
P1_NONE = [0, 1, 2, 9, 10]

CASES = [
    # name, torch class, keyword arguments, lr changes [[step, lr]], steps at which p1.grad is None
    ('sgd', 'SGD', {'lr': 0.1}, [], []),
    ('sgd_momentum', 'SGD', {'lr': 0.1, 'momentum': 0.9}, [], []),
    ('sgd_dampening', 'SGD', {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.1}, [], []),
    ('sgd_nesterov', 'SGD', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}, [], []),
    ('sgd_weight_decay', 'SGD', {'lr': 0.1, 'momentum': 0.9, 'weight_decay': 1e-2}, [], []),
    ('sgd_weight_decay_plain', 'SGD', {'lr': 0.1, 'weight_decay': 0.5}, [], []),
    ('sgd_maximize', 'SGD', {'lr': 0.1, 'momentum': 0.9, 'weight_decay': 1e-2, 'maximize': True}, [], []),
    ('sgd_lr_change', 'SGD', {'lr': 0.1, 'momentum': 0.9}, [[7, 0.03], [14, 0.2]], []),
    ('sgd_none_grad', 'SGD', {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.1}, [], P1_NONE),
    ('adam', 'Adam', {}, [], []),
    ('adam_lr', 'Adam', {'lr': 0.05}, [], []),
    ('adam_betas_eps', 'Adam', {'lr': 0.05, 'betas': (0.8, 0.95), 'eps': 0.3}, [], []),
    ('adam_weight_decay', 'Adam', {'lr': 0.05, 'weight_decay': 1e-2}, [], []),
    ('adam_weight_decay_large', 'Adam', {'lr': 0.05, 'weight_decay': 2.0}, [], []),
    # AMSGrad's running maximum only matters once v can fall: with beta2 = 0.999 it barely does in 20 steps.
    ('adam_amsgrad', 'Adam', {'lr': 0.05, 'amsgrad': True}, [], []),
    ('adam_beta2', 'Adam', {'lr': 0.05, 'betas': (0.9, 0.9)}, [], []),
    ('adam_amsgrad_beta2', 'Adam', {'lr': 0.05, 'betas': (0.9, 0.9), 'amsgrad': True}, [], []),
    ('adam_maximize', 'Adam', {'lr': 0.05, 'weight_decay': 0.5, 'maximize': True}, [], []),
    ('adam_lr_change', 'Adam', {'lr': 0.05}, [[7, 0.01], [14, 0.1]], []),
    ('adam_none_grad', 'Adam', {'lr': 0.05, 'betas': (0.9, 0.9), 'amsgrad': True}, [], P1_NONE),
    ('adamw', 'AdamW', {'lr': 0.05, 'weight_decay': 1e-2}, [], []),
    ('adamw_default', 'AdamW', {}, [], []),
    ('adamw_large', 'AdamW', {'lr': 0.05, 'betas': (0.9, 0.95), 'weight_decay': 2.0, 'amsgrad': True}, [], []),
    ('adamw_maximize_none_grad', 'AdamW', {'lr': 0.05, 'weight_decay': 0.5, 'maximize': True}, [[10, 0.02]], P1_NONE),
]


def make_optim():
    gen = torch.Generator().manual_seed(5)
    p0_init = torch.randn(5, 3, generator=gen)
    p1_init = torch.randn(4, generator=gen) * 2
    # Per-element scales spread over 2 decades, so Adam's per-element normalisation matters.
    p0_grads = torch.randn(STEPS, 5, 3, generator=gen) * torch.logspace(-1, 1, 15).reshape(1, 5, 3)
    p1_grads = torch.randn(STEPS, 4, generator=gen) + 0.3
    tensors = {'p0.init': p0_init, 'p1.init': p1_init, 'p0.grads': p0_grads, 'p1.grads': p1_grads}
    cases = []
    for name, cls_name, options, lr_changes, none_steps in CASES:
        p0 = nn.Parameter(p0_init.clone())
        p1 = nn.Parameter(p1_init.clone())
        opt = getattr(torch.optim, cls_name)([p0, p1], **options)
        traj0 = torch.empty(STEPS, 5, 3)
        traj1 = torch.empty(STEPS, 4)
        changes = dict(lr_changes)
        for t in range(STEPS):
            if t in changes:
                for group in opt.param_groups:
                    group['lr'] = changes[t]
            p0.grad = p0_grads[t].clone()
            p1.grad = None if t in none_steps else p1_grads[t].clone()
            opt.step()
            traj0[t] = p0.detach()
            traj1[t] = p1.detach()
        tensors[name + '.p0'] = traj0
        tensors[name + '.p1'] = traj1
        for pname, p in (('p0', p0), ('p1', p1)):
            for key, value in opt.state[p].items():
                if value is None:
                    continue
                value = torch.as_tensor(value, dtype=torch.float32)
                tensors[f'{name}.{pname}.state.{key}'] = value.reshape(p.shape) if key != 'step' else value.reshape([])
        cases.append({'name': name, 'optimizer': cls_name,
                      'options': {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
                      'lr_changes': lr_changes, 'p1_none_steps': none_steps})
    meta = base_metadata(f'torch.optim trajectories: {len(CASES)} cases, {STEPS} steps, parameters p0 [5, 3] and p1 [4]')
    meta['cases'] = json.dumps(cases)
    meta['steps'] = str(STEPS)
    write_safetensors(os.path.join(OUT, 'optim.safetensors'), tensors, meta)


def make_dtypes():
    """dtypes.safetensors: one tensor per dtype torch 1.13 can store in the format (F64, F32, F16,
    BF16, I64, I32, I16, I8, U8, BOOL), each made by torch's own conversion `.to(dtype)` of the same
    float64 values (so torch does the rounding, overflow and truncation), with `<name>.f64`, torch's
    float64 view of the stored values, to check a reader against; and an SE block whose weights are
    stored in BF16 (`bf16se.fc1.weight` ...), with `bf16se.golden.x` and torch's float32 output
    `bf16se.golden.y` computed from the BF16 weights upcast, as a half-precision checkpoint is used."""
    gen = torch.Generator().manual_seed(11)
    special = torch.tensor([0.0, -0.0, 0.1, -2.5, 1.0 / 3.0, 3.14159, 65504.0, 65520.0, 1e5, 1e-5, 6e-8, 1e-40, -300.7, 255.9, 127.5, -128.7])
    floats = torch.cat([special.double(), torch.randn(48, generator=gen, dtype=torch.float64) * 10])
    ints = torch.cat([torch.tensor([0, 1, -1, 127, -128, 255, 32767, -32768, 2**31 - 1, -2**31, 2**40, -2**53 + 1], dtype=torch.int64),
                      torch.randint(-1000, 1000, (20,), generator=gen, dtype=torch.int64)])
    tensors = {}
    for name, dtype, base in [('f64', torch.float64, floats), ('f32', torch.float32, floats), ('f16', torch.float16, floats),
                              ('bf16', torch.bfloat16, floats), ('i64', torch.int64, ints), ('i32', torch.int32, ints.clamp(-2**31, 2**31 - 1)),
                              ('i16', torch.int16, ints.clamp(-32768, 32767)), ('i8', torch.int8, ints.clamp(-128, 127)),
                              ('u8', torch.uint8, ints.clamp(0, 255)), ('bool', torch.bool, ints != 0)]:
        t = base.to(dtype).reshape(-1, 4) if base.numel() % 4 == 0 else base.to(dtype)
        tensors[name] = t
        tensors[name + '.f64'] = t.to(torch.float64)
    se = SqueezeExcitation(16, 4)
    with torch.no_grad():
        for p in se.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
        sd = {k: v.to(torch.bfloat16) for k, v in se.state_dict().items()}
        se.load_state_dict({k: v.to(torch.float32) for k, v in sd.items()})
        x = torch.randn(2, 16, 5, 5, generator=gen)
        y = se(x)
    for k, v in sd.items():
        tensors['bf16se.' + k] = v
    tensors['bf16se.golden.x'] = x
    tensors['bf16se.golden.y'] = y
    write_safetensors(os.path.join(OUT, 'dtypes.safetensors'), tensors,
                      base_metadata('every dtype torch 1.13 stores in the format, with torch\'s float64 view of each; an SE block stored in BF16'))


# ---------------------------------------------------------------------------------------------
# 7. Checkpoints: se-kernels' one-file layout, torch -> se-kernels and se-kernels -> torch

CKPT_C, CKPT_R, CKPT_STEPS = 6, 3, 3
TORCH_DTYPE = {'F32': torch.float32}


def read_safetensors(path):
    """A minimal reader of F32 safetensors files (what se-kernels writes here): tensors, metadata."""
    _, header, body = split_file(path)
    metadata = header.pop('__metadata__', {})
    tensors = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        assert info['dtype'] == 'F32', name
        tensors[name] = torch.frombuffer(bytearray(body[b:e]), dtype=torch.float32).reshape(info['shape']).clone()
    return tensors, metadata


CKPT_ACT = {'relu': nn.ReLU, 'silu': nn.SiLU}
CKPT_GATE = {'sigmoid': nn.Sigmoid, 'hardSigmoid': nn.Hardsigmoid}


def ckpt_model(meta_model):
    """torchvision's SqueezeExcitation for a checkpoint's `model` metadata."""
    assert meta_model['layout'] == 'channels-first' and meta_model['squeeze'] == 'avg' and meta_model['bias']
    return SqueezeExcitation(meta_model['channels'], meta_model['hidden'],
                             activation=CKPT_ACT[meta_model['activation']], scale_activation=CKPT_GATE[meta_model['gate']])


def ckpt_step(model, opt, x, t):
    """One step of loss 0.5 * sum((y - t)^2); returns the gradients it used."""
    opt.zero_grad()
    loss = 0.5 * ((model(x) - t) ** 2).sum()
    loss.backward()
    grads = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
    opt.step()
    return grads


def to_checkpoint(model, opt, cls_name):
    """torch's state dicts in se-kernels' layout: `model.*` and `optimizer.state.<i>.<key>` tensors,
    tensors' scalars (step) and param_groups in metadata JSON, key for key."""
    tensors = {'model.' + k: v.detach().clone() for k, v in model.state_dict().items()}
    sd = opt.state_dict()
    scalars = {}
    for i, st in sd['state'].items():
        kept = {}
        for k, v in st.items():
            if k == 'step':
                kept[k] = int(v.item())
            elif v is None:
                kept[k] = None
            else:
                tensors[f'optimizer.state.{i}.{k}'] = v.detach().clone()
        scalars[str(i)] = kept
    groups = [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()} for g in sd['param_groups']]
    meta = {
        'format': 'pt',
        'se-kernels.checkpoint': '1',
        'model': json.dumps({'convention': 'torchvision', 'channels': CKPT_C, 'hidden': CKPT_R, 'bias': True,
                             'layout': 'channels-first', 'squeeze': 'avg', 'activation': 'relu', 'gate': 'sigmoid'}),
        'optimizer': json.dumps({'class': cls_name, 'param_groups': groups, 'state': scalars}),
        'torch': torch.__version__,
        'generator': 'scripts/torch/make-fixtures.py',
    }
    return tensors, meta


def from_checkpoint(path):
    """A checkpoint se-kernels wrote, loaded into torchvision's SqueezeExcitation (strict) and torch.optim."""
    tensors, meta = read_safetensors(path)
    m = json.loads(meta['model'])
    model = ckpt_model(m)
    model.load_state_dict({k[len('model.'):]: v for k, v in tensors.items() if k.startswith('model.')}, strict=True)
    o = json.loads(meta['optimizer'])
    group = dict(o['param_groups'][0])
    group.pop('decoupled_weight_decay', None)
    if 'betas' in group:
        group['betas'] = tuple(group['betas'])
    state = {}
    for i, scal in o['state'].items():
        st = {}
        for k, v in scal.items():
            st[k] = torch.tensor(float(v)) if k == 'step' else v
        state[int(i)] = st
    for name, v in tensors.items():
        if name.startswith('optimizer.state.'):
            _, _, i, k = name.split('.', 3)
            state.setdefault(int(i), {})[k] = v
    opt = getattr(torch.optim, o['class'])(model.parameters(), lr=group['lr'])
    opt.load_state_dict({'state': state, 'param_groups': [group]})
    return model, opt


def make_checkpoints():
    gen = torch.Generator().manual_seed(17)
    x = torch.randn(2, CKPT_C, 3, 3, generator=gen)
    t = torch.rand(2, CKPT_C, 3, 3, generator=gen)
    init = SqueezeExcitation(CKPT_C, CKPT_R)
    with torch.no_grad():
        for p in init.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    golden = {'x': x, 't': t}
    runs = [('adam', 'Adam', {'lr': 0.01, 'betas': (0.9, 0.99), 'amsgrad': True, 'weight_decay': 0.01}),
            ('sgd', 'SGD', {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.1})]
    for name, cls_name, options in runs:
        model = SqueezeExcitation(CKPT_C, CKPT_R)
        model.load_state_dict(init.state_dict())
        opt = getattr(torch.optim, cls_name)(model.parameters(), **options)
        for _ in range(CKPT_STEPS):
            ckpt_step(model, opt, x, t)
        tensors, meta = to_checkpoint(model, opt, cls_name)
        meta['description'] = f'SqueezeExcitation({CKPT_C}, {CKPT_R}) and torch.optim.{cls_name}{options} after {CKPT_STEPS} steps, in se-kernels checkpoint layout'
        write_safetensors(os.path.join(OUT, f'checkpoint-torch-{name}.safetensors'), tensors, meta)
        after = {k: [] for k, _ in model.named_parameters()}
        grads = {k: [] for k in after}
        for _ in range(CKPT_STEPS):
            g = ckpt_step(model, opt, x, t)
            for k, p in model.named_parameters():
                after[k].append(p.detach().clone())
                grads[k].append(g[k])
        for k in after:
            golden[f'{name}.after.{k}'] = torch.stack(after[k])
            golden[f'{name}.grads.{k}'] = torch.stack(grads[k])
    write_safetensors(os.path.join(OUT, 'checkpoint-torch.golden.safetensors'), golden,
                      base_metadata(f'batch, target, and torch\'s gradients and weights for {CKPT_STEPS} steps after checkpoint-torch-*.safetensors'))

    # se-kernels -> torch: files the tests wrote.
    inputs, _ = read_safetensors(os.path.join(OUT, 'js-inputs.safetensors'))
    jx, jt = inputs['x'], inputs['t']
    out = {}
    block_sd, _ = read_safetensors(os.path.join(OUT, 'js-block.safetensors'))
    block = SqueezeExcitation(CKPT_C, CKPT_R)
    block.load_state_dict(block_sd, strict=True)
    with torch.no_grad():
        out['block.y'] = block(jx)
    for name in ('adam', 'sgd'):
        model, opt = from_checkpoint(os.path.join(OUT, f'js-checkpoint-{name}.safetensors'))
        with torch.no_grad():
            out[f'{name}.y'] = model(jx)
        after = {k: [] for k, _ in model.named_parameters()}
        for _ in range(CKPT_STEPS):
            ckpt_step(model, opt, jx, jt)
            for k, p in model.named_parameters():
                after[k].append(p.detach().clone())
        for k in after:
            out[f'{name}.after.{k}'] = torch.stack(after[k])
    write_safetensors(os.path.join(OUT, 'js-continued.safetensors'), out,
                      base_metadata(f'torch running files se-kernels wrote (js-*.safetensors): outputs, and {CKPT_STEPS} more optimizer steps'))


# ---------------------------------------------------------------------------------------------
# 8. The README's checkpoint recipe, scripts/torch/to_safetensors.py, run on real state dicts


def check_recipe_file(path, tensors):
    """Reads a file the recipe wrote, independently of it: no metadata, one run of bytes without
    holes or trailing bytes, and every tensor's dtype, shape and bytes exactly torch's."""
    n, header, body = split_file(path)
    assert n % 8 == 0
    assert '__metadata__' not in header and sorted(header) == sorted(tensors)
    end = 0
    for b, e in sorted(tuple(info['data_offsets']) for info in header.values()):
        assert b == end, 'holes between tensors'
        end = e
    assert end == len(body), 'trailing bytes'
    for name, info in header.items():
        t = tensors[name].detach().contiguous()
        assert info['dtype'] == DTYPES[t.dtype][0] and info['shape'] == list(t.shape), name
        b, e = info['data_offsets']
        assert body[b:e] == tensor_bytes(t), name
    return header


def make_recipe(mobilenet_sd):
    """recipe.safetensors: what the recipe writes for a small state dict with every kind of entry
    (a conv, a BatchNorm with its int64 counter, a torchvision SqueezeExcitation, and copies in
    F16, BF16, F64, I32, U8 and BOOL). The tests check that se-kernels reads it and writes the same
    bytes back. The recipe is also run on the mobilenet_v3_small fixture's state dict (width 0.25)
    and on a width-1.0 model (the README's numbers), checked here and not committed (too large)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from to_safetensors import save_safetensors

    torch.manual_seed(5)
    gen = torch.Generator().manual_seed(6)
    model = nn.Sequential(nn.Conv2d(8, 16, 1), nn.BatchNorm2d(16), SqueezeExcitation(16, 8))
    model.train()
    with torch.no_grad():
        model(torch.randn(2, 8, 4, 4, generator=gen))
    sd = dict(model.state_dict())
    w = sd['2.fc1.weight']
    sd.update({'copy.f16': w.half(), 'copy.bf16': w.bfloat16(), 'copy.f64': w.double(),
               'copy.i32': torch.arange(-4, 4, dtype=torch.int32), 'copy.u8': torch.arange(250, 256, dtype=torch.uint8),
               'copy.bool': sd['2.fc2.bias'] > 0})
    path = os.path.join(OUT, 'recipe.safetensors')
    save_safetensors(sd, path)
    check_recipe_file(path, sd)
    print(f'wrote {os.path.relpath(path)}: {len(sd)} tensors, {os.path.getsize(path)} bytes (scripts/torch/to_safetensors.py)')

    with tempfile.TemporaryDirectory() as tmp:
        # The fixture's state dict through the recipe: the same tensors, bytes for bytes.
        path = os.path.join(tmp, 'mobilenet_v3_small.safetensors')
        save_safetensors(mobilenet_sd, path)
        check_recipe_file(path, mobilenet_sd)
        # Width 1.0 (torchvision's pretrained size; weights=None here: no download, same shapes).
        wide = torchvision.models.mobilenet_v3_small(weights=None)
        wide_sd = wide.state_dict()
        save_safetensors(wide_sd, path)
        header = check_recipe_file(path, wide_sd)
        blocks = [(k[:-len('fc1.weight')], v['shape'][1], v['shape'][0]) for k, v in header.items() if k.endswith('.fc1.weight')]
        blocks.sort(key=lambda b: [int(p) if p.isdigit() else p for p in b[0].split('.') if p])
        assert blocks[0] == ('features.1.block.1.', 16, 8), blocks[0]
        assert len(blocks) == 9
        print('recipe on mobilenet_v3_small (width 1.0): SE blocks (prefix, channels, hidden):', blocks)


def main():
    if not torch.__version__.startswith('1.13') or not torchvision.__version__.startswith('0.14'):
        print(f'note: written for torch 1.13 / torchvision 0.14, running torch {torch.__version__}, '
              f'torchvision {torchvision.__version__}', file=sys.stderr)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    if sys.argv[1:] == ['checkpoints']:
        make_checkpoints()
        return
    make_seattention()
    make_torchvision_se('torchvision-se', 2, None, None, 2.0)
    make_torchvision_se('torchvision-se-silu-hardsigmoid', 3, nn.SiLU, nn.Hardsigmoid, 2.5)
    mobilenet_sd = make_mobilenet()
    make_optim()
    make_dtypes()
    make_checkpoints()
    make_recipe(mobilenet_sd)


if __name__ == '__main__':
    main()
