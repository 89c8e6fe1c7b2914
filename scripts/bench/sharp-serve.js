// node sharp-serve.js <photo> : times one on-demand render the way a Node image service does it with sharp, the
// anchor of cmd/bench -serve: sharp(buf).rotate().resize(w, h) then .jpeg({quality}) or .webp({quality}), with
// sharp's defaults otherwise (fit cover, centre crop; WebP effort 4). The first render in the process is timed on
// its own (cold: libvips and the codec set up), then N more after it.
// Prints one JSON line: {"first_ms", "median_ms", "min_ms", "peak_rss_mb", "width", "height", "bytes", ...}.
// Env: WIDTH, HEIGHT (0 for none), FORMAT (jpeg or webp), QUALITY, N (default 7), SHARP_THREADS (default 1),
// OUT (a file to write the render to, for cmd/bench to score). NODE_PATH must reach sharp (cmd/bench sets it).
const fs = require('fs');
const sharp = require('sharp');

const width = parseInt(process.env.WIDTH || '0', 10) || null;
const height = parseInt(process.env.HEIGHT || '0', 10) || null;
const format = process.env.FORMAT || 'jpeg';
const quality = parseInt(process.env.QUALITY || (format === 'webp' ? '80' : '82'), 10);
const n = parseInt(process.env.N || '7', 10);
sharp.cache(false); // every request renders a new image; never let repeated runs hit libvips' cache
sharp.concurrency(parseInt(process.env.SHARP_THREADS || '1', 10));
if (format !== 'jpeg' && format !== 'webp') throw new Error(`FORMAT ${format}: want jpeg or webp`);

const render = (buf) => {
  const p = sharp(buf).rotate().resize(width, height);
  return (format === 'webp' ? p.webp({ quality }) : p.jpeg({ quality })).toBuffer({ resolveWithObject: true });
};

(async () => {
  const buf = fs.readFileSync(process.argv[2]);
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  const time = async () => {
    const t0 = process.hrtime.bigint();
    const out = await render(buf);
    return [Number(process.hrtime.bigint() - t0) / 1e6, out];
  };
  const [first, out] = await time();
  const times = [];
  for (let i = 0; i < n; i++) times.push((await time())[0]);
  clearInterval(timer);
  times.sort((a, b) => a - b);
  if (process.env.OUT) fs.writeFileSync(process.env.OUT, out.data);
  console.log(JSON.stringify({
    first_ms: +first.toFixed(1), median_ms: +times[times.length >> 1].toFixed(1), min_ms: +times[0].toFixed(1),
    peak_rss_mb: +(Math.max(peak, process.memoryUsage().rss) / 1048576).toFixed(0),
    width: out.info.width, height: out.info.height, bytes: out.data.length,
    sharp: sharp.versions.sharp, vips: sharp.versions.vips,
  }));
})().catch((e) => { console.error(e); process.exit(1); });
