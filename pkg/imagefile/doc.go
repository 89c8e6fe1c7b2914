// Package imagefile identifies an uploaded image by its bytes and reads what its header declares (format,
// dimensions, alpha, EXIF orientation) without decoding pixels.
//
// Everything here runs before a photo is stored, so it must be cheap and must never trust the client: the filename
// and the multipart Content-Type are ignored, and the pixel limit is enforced from the header alone so that a
// decompression bomb is rejected before a single pixel buffer is allocated. The headers are read by hand rather
// than through image.DecodeConfig, so the upload function links no image decoder at all.
//
// Every error it returns is a *publicerr.Error: a property of the file that a client can be told about, and that
// the resize function quarantines rather than retries.
package imagefile
