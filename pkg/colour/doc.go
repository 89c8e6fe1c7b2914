// Package colour converts the pixels of a photo from the colour space its embedded profile describes to sRGB, so
// that derivatives, which carry no profile, look the same as the original does in a colour-managed viewer.
// Without it a Display P3, Adobe RGB or ProPhoto photo comes out desaturated and a CMYK JPEG comes out wrong.
//
// The conversion is the one ImageMagick's -profile makes with lcms: the perceptual intent (ImageMagick's
// default), to a v4 sRGB profile, which makes lcms apply black point compensation; that only matters for profiles
// whose black is not zero (CMYK and LUT-based ones), and it is what maps a press profile's ink black to sRGB
// black. The tests compare the results with ImageMagick's on Debian's profiles.
//
// Use:
//
//	p, err := colour.ParseICC(imagefile.ICC(format, data)) // or colour.NCLX for HEIF/AVIF
//	if err != nil || p.IsSRGB() { /* keep the pixels as they are */ }
//	t, err := p.ToSRGB() // cached per profile; safe for concurrent use
//	img, err = t.Apply(img)
//
// # Supported
//
//   - ICC v2 and v4 profiles of RGB, gray and CMYK devices, of the input, display, output and colour-space
//     classes, with an XYZ or Lab connection space.
//   - Matrix/TRC RGB (rXYZ/gXYZ/bXYZ and rTRC/gTRC/bTRC as 'curv' gamma or table, or 'para' types 0-4) and gray
//     (kTRC) profiles, converted exactly up to 16-bit quantisation of linear light.
//   - LUT-based profiles (A2B0 as 'mft1', 'mft2' or 'mAB ', including v2 Lab's legacy 16-bit encoding), for RGB
//     and CMYK, sampled on a grid that sits on the profile's own CLUT nodes.
//   - HEIF/AVIF 'nclx' colour boxes with the primaries and transfer functions of photos (see NCLX).
//   - The pixel layouts the decoders produce: YCbCr at any subsampling, NYCbCrA, RGBA, NRGBA, 16-bit RGBA64
//     and NRGBA64, Gray, Gray16, CMYK (as image/jpeg gives it: 0 = no ink), Paletted.
//
// # Not supported
//
//   - HDR: PQ and HLG transfer functions (they need tone mapping, not a profile conversion); NCLX returns
//     ErrUnsupported.
//   - Lab, XYZ and multi-ink (n-colour) device spaces, device link, abstract and named-colour profiles;
//     ToSRGB returns ErrUnsupported.
//   - Floating-point D2Bx and iccMAX tags: lcms prefers a D2B0 tag over A2B0 when both exist; this package
//     always uses A2B0 (or the matrix), so a profile whose D2B0 differs from its A2B0 converts as its A2B0 says.
//   - Rendering intents other than perceptual, and the absolute colorimetric handling of media white.
//   - Tone curves of PNG's gAMA and cHRM chunks (see imagefile.ICC).
//
// # Speed
//
// Everything per pixel is integer table work: 8-bit values index per-channel tables, a fixed-point 3x3 matrix
// (matrix/TRC) or a tetrahedral interpolation in a 3D or 4D grid (LUT profiles, CMYK) gives linear light, and a
// 64K-entry table encodes it to sRGB. The float pipeline runs only while a transform is built: about 1.3 ms
// for a matrix/TRC profile and 20-30 ms for a CMYK or LUT-based RGB one, which is why transforms and IsSRGB
// answers are cached by profile content. See the benchmarks for the per-pixel cost against a plain
// YCbCr-to-RGBA conversion.
package colour
