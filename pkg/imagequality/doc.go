// Package imagequality scores a resized image against a reference of the same size, so that a faster resize
// pipeline can prove it did not buy its speed with visible loss.
//
// SSIM (Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment: from error visibility to structural
// similarity", IEEE TIP 2004) is computed on luma with the paper's 11x11 Gaussian window (sigma 1.5) and constants
// K1 = 0.01, K2 = 0.03. Luma is where the eye sees resampling artefacts (blur, ringing, aliasing), and it is what
// published SSIM figures for image codecs and resizers use, so the numbers compare with theirs.
package imagequality
