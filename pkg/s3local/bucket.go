package s3local

import (
	"encoding/xml"
	"net/http"
)

// listBuckets is ListBuckets, with every bucket in the configured region.
func (q *request) listBuckets() error {
	bs, err := q.s.st.listBuckets()
	if err != nil {
		return err
	}
	type bucket struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion"`
	}
	res := struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
		Owner   owner    `xml:"Owner"`
		Buckets []bucket `xml:"Buckets>Bucket"`
	}{Owner: localOwner}
	for _, b := range bs {
		res.Buckets = append(res.Buckets, bucket{Name: b.Name, CreationDate: isoTime(b.Created), BucketRegion: q.s.opt.Region})
	}
	writeXML(q.w, http.StatusOK, res)
	return nil
}

// headBucket answers 200 or 404, with the bucket's region as S3 gives it.
func (q *request) headBucket() error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	q.w.Header().Set("x-amz-bucket-region", q.s.opt.Region)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// createBucket accepts an optional CreateBucketConfiguration whose LocationConstraint must be this region
// (empty meaning us-east-1, as in S3).
func (q *request) createBucket() error {
	if !validBucketName(q.bucket) {
		return errorf(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", "BucketName", q.bucket)
	}
	raw, err := q.readSmallBody()
	if err != nil {
		return err
	}
	if len(raw) > 0 {
		var cfg struct {
			LocationConstraint string `xml:"LocationConstraint"`
		}
		if err := xml.Unmarshal(raw, &cfg); err != nil {
			return errMalformedXML
		}
		loc := cfg.LocationConstraint
		if loc == "" {
			loc = "us-east-1"
		}
		if loc != q.s.opt.Region {
			return errorf(http.StatusBadRequest, "IllegalLocationConstraintException",
				"The "+loc+" location constraint is incompatible for the region specific endpoint this request was sent to.")
		}
	}
	created, err := q.s.st.createBucket(q.bucket, q.s.now())
	if err != nil {
		return err
	}
	if !created {
		return errorf(http.StatusConflict, "BucketAlreadyOwnedByYou",
			"Your previous request to create the named bucket succeeded and you already own it.", "BucketName", q.bucket)
	}
	q.w.Header().Set("Location", "/"+q.bucket)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucket removes an empty bucket; S3 refuses a non-empty one with BucketNotEmpty.
func (q *request) deleteBucket() error {
	if err := q.s.st.deleteBucket(q.bucket); err != nil {
		return q.bucketError(err)
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// bucketLocation answers GetBucketLocation; S3 gives an empty constraint for us-east-1.
func (q *request) bucketLocation() error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	loc := q.s.opt.Region
	if loc == "us-east-1" {
		loc = ""
	}
	writeXML(q.w, http.StatusOK, struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
		Value   string   `xml:",chardata"`
	}{Value: loc})
	return nil
}

// bucketVersioning answers that versioning was never enabled, which is true here.
func (q *request) bucketVersioning() error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	writeXML(q.w, http.StatusOK, struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
	}{})
	return nil
}
