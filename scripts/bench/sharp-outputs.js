// node sharp-outputs.js <photo> <outdir> : writes the derivatives that ../shared/bench/sharp-anchor.sh times but
// only sizes, so cmd/bench can score sharp's pixels exactly as it scores ours (SSIM against the unencoded
// full-resolution reference). The two jobs are copied from the anchor's sharp/anchor.js, word for word, and
// cmd/bench checks that the files it gets are the sizes the anchor printed, so a drift between the copies shows.
// Prints one JSON line per mode: {"mode", "files": [{"file", "width", "height", "bytes"}]}.
// Env: QUALITY (default 82), WIDTHS (default 1920,640,320), MODES (default typical,cascade), SHARP_THREADS (1).
// sharp is the anchor's install: cmd/bench sets NODE_PATH to its node_modules.
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');

const quality = parseInt(process.env.QUALITY || '82', 10);
const widths = (process.env.WIDTHS || '1920,640,320').split(',').map(Number);
const modes = (process.env.MODES || 'typical,cascade').split(',');
sharp.cache(false);
sharp.concurrency(parseInt(process.env.SHARP_THREADS || '1', 10));

const typical = (buf) => Promise.all(widths.map((w) =>
  sharp(buf).rotate().resize(w, null, { withoutEnlargement: true }).jpeg({ quality }).toBuffer({ resolveWithObject: true })));
const cascade = async (buf) => {
  const big = await sharp(buf).rotate().resize(Math.max(...widths), null, { withoutEnlargement: true })
    .raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: big.info.width, height: big.info.height, channels: big.info.channels } };
  return Promise.all(widths.map((w) =>
    sharp(big.data, raw).resize(w, null, { withoutEnlargement: true }).jpeg({ quality }).toBuffer({ resolveWithObject: true })));
};
const jobs = { typical, cascade };

(async () => {
  const [photo, outdir] = process.argv.slice(2);
  if (!photo || !outdir) throw new Error('usage: node sharp-outputs.js <photo> <outdir>');
  const buf = fs.readFileSync(photo);
  for (const mode of modes) {
    if (!jobs[mode]) throw new Error(`unknown mode ${mode}`);
    const out = await jobs[mode](buf);
    const files = out.map((r, i) => {
      const file = path.join(outdir, `sharp-${mode}-${i}.jpg`);
      fs.writeFileSync(file, r.data);
      return { file, width: r.info.width, height: r.info.height, bytes: r.data.length };
    });
    console.log(JSON.stringify({ mode, files }));
  }
})().catch((e) => { console.error(e); process.exit(1); });
