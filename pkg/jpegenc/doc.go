// Package jpegenc is a baseline JPEG encoder for the frames the image pipeline produces: 4:2:0 (and the other
// subsamplings of *image.YCbCr) and grey, encoded straight from their planes with no colour conversion.
//
// With Optimize off it writes the same quantised coefficients and the same entropy-coded data as the standard
// library's image/jpeg at the same quality (the same scaled Annex K tables, the same integer FDCT, the same
// replication of edge pixels), about four times faster: each MCU row is copied into a padded strip (sequential
// reads, no edge cases), the coefficients that quantise to zero (nine in ten at quality 82) are found with one add
// and one compare each and only the others are divided, by an exact reciprocal multiply; each block becomes a list
// of tokens found by walking a bit mask of its non-zero coefficients; and the codes are emitted from tables that
// hold each symbol's code already shifted past its extra bits, by a 64-bit bit writer that stuffs 0xFF bytes a word
// at a time.
//
// With Optimize on it codes the same coefficients with Huffman tables built for the image, as libjpeg's
// jpeg_gen_optimal_table does (Huffman's algorithm, then the JPEG spec's K.2 procedure to limit codes to 16 bits):
// it also codes the MCU padding blocks that lie wholly outside the image as libjpeg does (previous DC, no AC) rather
// than as repeated edge pixels. The decoded pixels are identical and the file is smaller. The frame is transformed
// once; its symbols are kept as compact tokens (one uint32 per non-zero coefficient, run of zeros or end of block)
// and counted, and the tables are built from the counts before the tokens are written.
//
// A frame of at least 8192 blocks (about 0.35 MP in 4:2:0) is tokenised in parts on as many goroutines as GOMAXPROCS allows, each
// part's first DC difference recoded once its predecessor is done, so the file is the same for any number of parts;
// only the writing of the bits is serial. On a 2-vCPU function this lets the largest output of a job use the vCPU
// that the smaller ones leave idle.
//
// The output is SOI, a JFIF APP0, DQT, SOF0, DHT, one interleaved SOS and EOI: no EXIF, ICC profile or comment,
// because the pipeline's derivatives must carry no metadata.
package jpegenc
