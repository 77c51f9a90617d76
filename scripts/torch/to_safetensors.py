# A PyTorch state_dict() as a .safetensors file, without the safetensors package. The format: an
# 8-byte little-endian header length, a JSON header (each tensor's dtype, shape and byte range),
# then the tensors' raw little-endian bytes. Usage: /usr/bin/python3 to_safetensors.py [out-file]
import json, struct, sys
import torch

CODES = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64',
         torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
ORDER = ['BOOL', 'U8', 'I8', 'I16', 'F16', 'BF16', 'I32', 'F32', 'F64', 'I64']  # the package's order: wider dtypes first


def save_safetensors(state_dict, path):
    header, blobs, offset = {}, [], 0
    for name, t in sorted(state_dict.items(), key=lambda item: (-ORDER.index(CODES[item[1].dtype]), item[0])):
        t = t.detach().cpu().contiguous()
        data = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()  # little-endian CPUs
        header[name] = {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)  # the header is padded to a multiple of 8 bytes
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


if __name__ == '__main__':
    import torchvision
    model = torchvision.models.mobilenet_v3_small(weights='DEFAULT')  # ImageNet weights (downloaded once), width 1.0
    save_safetensors(model.state_dict(), sys.argv[1] if len(sys.argv) > 1 else 'mobilenet_v3_small.safetensors')
