package s3local

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event names, as S3 spells them in notification records (without the "s3:" of a notification configuration).
const (
	EventPut                     = "ObjectCreated:Put"
	EventPost                    = "ObjectCreated:Post"
	EventCopy                    = "ObjectCreated:Copy"
	EventCompleteMultipartUpload = "ObjectCreated:CompleteMultipartUpload"
	EventDelete                  = "ObjectRemoved:Delete"
)

// ObjectCreated reports an object that was stored. Key is the raw key, not URL-encoded.
type ObjectCreated struct {
	EventName string // one of EventPut, EventPost, EventCopy, EventCompleteMultipartUpload
	Bucket    string
	Key       string
	Size      int64
	ETag      string // unquoted, as in S3 event records
	Time      time.Time
	// Sequencer orders events for the same key, as S3's does: a later event has a greater value (compare as
	// strings of equal length).
	Sequencer string
}

// ObjectRemoved reports an object that was deleted.
type ObjectRemoved struct {
	EventName string // EventDelete
	Bucket    string
	Key       string
	Time      time.Time
	Sequencer string
}

var sequence atomic.Uint64

// nextSequencer is a strictly increasing hex string of fixed width: nanoseconds since the epoch, bumped past the
// last one so two events in the same nanosecond (or a clock that stepped back) still order.
func nextSequencer(t time.Time) string {
	for {
		last := sequence.Load()
		n := max(uint64(t.UnixNano()), last+1)
		if sequence.CompareAndSwap(last, n) {
			return fmt.Sprintf("%016X", n)
		}
	}
}

// S3Event returns the notification S3 would deliver to a Lambda function for e. The key is encoded the way S3
// encodes it there (form encoding, a space becomes "+"), which events.S3Object.URLDecodedKey undoes.
func (e ObjectCreated) S3Event(region string) events.S3Event {
	return s3Event(region, e.EventName, e.Bucket, e.Key, e.Size, e.ETag, e.Time, e.Sequencer)
}

// S3Event returns the notification S3 would deliver to a Lambda function for e.
func (e ObjectRemoved) S3Event(region string) events.S3Event {
	return s3Event(region, e.EventName, e.Bucket, e.Key, 0, "", e.Time, e.Sequencer)
}

func s3Event(region, name, bucket, key string, size int64, etag string, t time.Time, seq string) events.S3Event {
	return events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: region, EventTime: t, EventName: name,
		S3: events.S3Entity{
			SchemaVersion: "1.0",
			Bucket:        events.S3Bucket{Name: bucket, Arn: "arn:aws:s3:::" + bucket},
			Object: events.S3Object{Key: strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"), Size: size,
				ETag: etag, Sequencer: seq},
		},
	}}}
}

func (s *Server) created(name, bucket, key string, rec *objectRecord) {
	if s.opt.OnObjectCreated == nil {
		return
	}
	s.opt.OnObjectCreated(ObjectCreated{EventName: name, Bucket: bucket, Key: key, Size: rec.Size, ETag: rec.ETag,
		Time: rec.Modified, Sequencer: nextSequencer(rec.Modified)})
}

func (s *Server) removed(bucket, key string) {
	if s.opt.OnObjectRemoved == nil {
		return
	}
	t := s.now()
	s.opt.OnObjectRemoved(ObjectRemoved{EventName: EventDelete, Bucket: bucket, Key: key, Time: t, Sequencer: nextSequencer(t)})
}
