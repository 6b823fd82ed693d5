// Test files generated in memory, so the suite downloads and ships nothing: the same byte layouts as
// infra/local/seed.py (demo_png, demo_safetensors), written in JS for the browser's file inputs.
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(kind, data) {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(kind, "latin1"), data]);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, tail]);
}

/** A gradient PNG (RGB, 8 bit); `text` becomes tEXt chunks (e.g. A1111 "parameters"). */
export function gradientPng({ width = 64, height = 64, tint = 160, text = {} } = {}) {
  const rows = Buffer.alloc(height * (1 + width * 3));
  let i = 0;
  for (let y = 0; y < height; y++) {
    rows[i++] = 0; // filter type "none"
    for (let x = 0; x < width; x++) {
      rows[i++] = (x * 4) % 256;
      rows[i++] = (y * 4) % 256;
      rows[i++] = tint;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const texts = Object.entries(text).map(([k, v]) =>
    pngChunk("tEXt", Buffer.concat([Buffer.from(k, "latin1"), Buffer.from([0]), Buffer.from(v, "latin1")])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header), ...texts, pngChunk("IDAT", deflateSync(rows)), pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A tiny but valid SD1.5-shaped LoRA with kohya metadata (8-byte little-endian header length,
 *  JSON header padded with spaces to a multiple of 8, then the zeroed F16 tensor data). */
export function loraSafetensors({ rank = 4, outputName = "e2e_lora", tagFrequency = { "10_e2e": { e2e: 12, gradient: 7 } } } = {}) {
  const tensors = {};
  let offset = 0;
  const block = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k";
  for (const [name, shape] of [[`${block}.lora_down.weight`, [rank, 768]], [`${block}.lora_up.weight`, [320, rank]]]) {
    const size = shape[0] * shape[1] * 2;
    tensors[name] = { dtype: "F16", shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  tensors.__metadata__ = {
    ss_base_model_version: "sd_v1", ss_network_module: "networks.lora", ss_network_dim: String(rank),
    ss_network_alpha: "1", ss_output_name: outputName, ss_resolution: "(512, 512)",
    ss_tag_frequency: JSON.stringify(tagFrequency), ss_num_train_images: "12",
  };
  let header = Buffer.from(JSON.stringify(tensors), "utf8");
  header = Buffer.concat([header, Buffer.alloc((8 - (header.length % 8)) % 8, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, Buffer.alloc(offset)]);
}
