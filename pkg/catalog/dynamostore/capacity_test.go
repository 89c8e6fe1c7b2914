package dynamostore

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// indexKeys are the partition keys of the indexes, whose presence on an item puts it in the index.
var indexKeys = []struct{ name, attr string }{{IndexOwner, attrOwner}, {IndexAll, attrAllKey}, {IndexPending, attrPendingKey}}

// writeUnits is what a write costs by the rules of the DynamoDB developer guide ("Capacity unit consumption for
// writes" and "Provisioned throughput considerations for global secondary indexes"): the table, one unit per KB of
// the larger of the item before and after; each index, nothing if the item is in it neither before nor after, a put
// or a delete if it enters or leaves, a delete and a put if its index key changes, one write if only projected
// attributes change (all of them are projected here), each sized in KB of the index entry, which with ALL
// projection is the item. The 100 bytes of overhead per index entry count for storage, not throughput.
func writeUnits(before, after map[string]types.AttributeValue) (table float64, index map[string]float64) {
	kb := func(item map[string]types.AttributeValue) float64 {
		return math.Max(1, math.Ceil(float64(itemSize(item))/1024))
	}
	big := before
	if after != nil && (before == nil || itemSize(after) > itemSize(before)) {
		big = after
	}
	table = kb(big)
	index = map[string]float64{}
	for _, ix := range indexKeys {
		_, inBefore := before[ix.attr]
		_, inAfter := after[ix.attr]
		switch {
		case inBefore && inAfter && (!reflect.DeepEqual(before[ix.attr], after[ix.attr]) || !reflect.DeepEqual(before[attrListKey], after[attrListKey])):
			index[ix.name] = kb(before) + kb(after)
		case inBefore && inAfter && !reflect.DeepEqual(before, after):
			index[ix.name] = kb(big)
		case inBefore && !inAfter:
			index[ix.name] = kb(before)
		case !inBefore && inAfter:
			index[ix.name] = kb(after)
		}
	}
	return table, index
}

// readUnits is what a read costs: the items' sizes added up and rounded up to 4 KB, per unit for a consistent read,
// per half unit for an eventually consistent one (every index read is).
func readUnits(consistent bool, items ...map[string]types.AttributeValue) float64 {
	total := 0
	for _, it := range items {
		total += itemSize(it)
	}
	units := math.Max(1, math.Ceil(float64(total)/4096))
	if !consistent {
		units /= 2
	}
	return units
}

// recorder collects what DynamoDB (here dynalite) says each request consumed.
type recorder struct{ ops []recorded }

type recorded struct {
	op    string
	units float64 // table units as reported; -1 for a write whose condition failed (reported by no output)
}

func (r *recorder) observe(op string, c *types.ConsumedCapacity) {
	if c == nil {
		r.ops = append(r.ops, recorded{op, -1})
		return
	}
	units := aws.ToFloat64(c.CapacityUnits)
	if c.Table != nil && c.Table.CapacityUnits != nil {
		units = aws.ToFloat64(c.Table.CapacityUnits)
	}
	for _, ix := range c.GlobalSecondaryIndexes {
		units += aws.ToFloat64(ix.CapacityUnits) // reads through an index are charged to it
	}
	r.ops = append(r.ops, recorded{op, units})
}

func (r *recorder) take() []recorded { ops := r.ops; r.ops = nil; return ops }

// TestCapacity measures what the pipeline's operations cost on a typical row and logs the figures for the package
// doc: the table's units as dynalite reports them (ReturnConsumedCapacity), which must equal those computed from
// the item sizes by the documented rules, plus the index writes and failed conditions, which dynalite does not
// report and are computed by the same rules.
//
//	go test -run TestCapacity -v ./pkg/catalog/dynamostore/
func TestCapacity(t *testing.T) {
	ep := testEndpoint(t)
	raw := testClient(t, ep)
	table := newTable(t, raw)
	rec := &recorder{}
	s := New(raw, table)
	s.capacity = rec.observe
	ctx := t.Context()
	item := func(id string) map[string]types.AttributeValue {
		out, err := raw.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("GetItem: %v", err)
		}
		if len(out.Item) == 0 {
			return nil
		}
		return out.Item
	}
	var lines []string
	total := map[string]float64{}
	// write runs one write and checks and records its cost; scenario sums them up.
	write := func(scenario, what, id string, call func() error) {
		t.Helper()
		before := item(id)
		if err := call(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		after := item(id)
		ops := rec.take()
		tableUnits, index := 0.0, map[string]float64{}
		failed, readBack := 0.0, 0.0
		var writes []recorded
		for _, op := range ops {
			if op.op == "read after a failed condition" {
				// dynalite does not return the item with the failure; DynamoDB does, and needs no read.
				readBack += op.units
				continue
			}
			writes = append(writes, op)
			if op.units < 0 {
				// A failed condition consumes at least one unit, by the size of the item it was evaluated on.
				failed += math.Max(1, math.Ceil(float64(itemSize(before))/1024))
			}
		}
		if after != nil && !reflect.DeepEqual(before, after) || before != nil && after == nil {
			tableUnits, index = writeUnits(before, after)
			reported := writes[len(writes)-1].units
			if reported != tableUnits {
				t.Errorf("%s: dynalite reports %v table units, the item sizes (%d → %d bytes) give %v", what, reported,
					itemSize(before), itemSize(after), tableUnits)
			}
		}
		sum := tableUnits + failed
		for _, u := range index {
			sum += u
		}
		total[scenario] += sum
		line := fmt.Sprintf("%-44s %5d → %5d B  table %1.0f  owner %1.0f  all %1.0f  pending %1.0f  failed condition %1.0f  = %1.0f WCU",
			what, itemSize(before), itemSize(after), tableUnits, index[IndexOwner], index[IndexAll], index[IndexPending], failed, sum)
		if readBack > 0 {
			line += fmt.Sprintf(" (+%.0f RCU read where the server does not return ALL_OLD)", readBack)
		}
		lines = append(lines, line)
	}
	read := func(what string, consistent bool, items []map[string]types.AttributeValue, call func() error) {
		t.Helper()
		if err := call(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		want := readUnits(consistent, items...)
		reported := 0.0
		for _, op := range rec.take() {
			reported += op.units
		}
		if reported != want {
			t.Errorf("%s: dynalite reports %v read units, the item sizes give %v", what, reported, want)
		}
		lines = append(lines, fmt.Sprintf("%-44s %5d B read  = %4.1f RCU", what, func() (n int) {
			for _, it := range items {
				n += itemSize(it)
			}
			return n
		}(), want))
	}

	id := "0192f5b4-7c1e-7d3a-9b2e-4f6a8c0d1e2f"    // a UUIDv7, as the upload function makes
	owner := "3c6e1f2a-9b8d-4e7f-a1c2-5d4b3a2f1e0d" // a Cognito sub
	upload := &catalog.Image{ID: id, Owner: owner, Filename: "IMG_20250301_183012.jpg", ContentType: "image/jpeg", Bytes: 3_481_223,
		Fields:     map[string]string{"title": "Sunset over the bay", "album": "holiday-2025", "tags": "beach,sunset,family"},
		StagingKey: "staging/" + id + ".jpg"}
	result := &catalog.Image{ID: id, Origin: catalog.OriginUpload, StagingKey: upload.StagingKey, SourceETag: `"9b2cf535f27731c974343645a3985328"`,
		ContentType: "image/jpeg", Bytes: 3_481_223, Width: 4032, Height: 3024, OriginalKey: "original/" + id + ".jpg",
		Derivatives: []catalog.Derivative{
			{Width: 1920, Height: 1440, Bytes: 412_380, Key: "derived/1920/" + id + ".jpg", ContentType: "image/jpeg"},
			{Width: 960, Height: 720, Bytes: 118_904, Key: "derived/960/" + id + ".jpg", ContentType: "image/jpeg"},
			{Width: 320, Height: 240, Bytes: 16_577, Key: "derived/320/" + id + ".jpg", ContentType: "image/jpeg"},
		}}
	write("upload", "upload: Create (pending)", id, func() error { return s.Create(ctx, upload) })
	read("resize: Get the upload's row (consistent)", true, []map[string]types.AttributeValue{item(id)}, func() error {
		_, err := s.Get(ctx, id)
		return err
	})
	claim := &catalog.Image{ID: id, Origin: catalog.OriginUpload, StagingKey: upload.StagingKey, SourceETag: result.SourceETag}
	write("upload", "resize: Claim (the object's ETag)", id, func() error { return s.Claim(ctx, claim) })
	write("upload", "resize: MarkReady (3 derivatives)", id, func() error { return s.MarkReady(ctx, result) })
	write("duplicate event", "duplicate S3 event: MarkReady again", id, func() error { return s.MarkReady(ctx, result) })
	late := *result
	late.FailureReason = "timeout"
	write("duplicate event", "late failure: MarkFailed over ready", id, func() error { return s.MarkFailed(ctx, &late) })

	cid := "5b3e1f0a-6f43-5c1e-9f7e-3c9a7d2b8e10" // a UUIDv5 of the staging key, as the resize function makes
	console := *result
	console.ID, console.Origin, console.StagingKey, console.Filename = cid, catalog.OriginConsole, "staging/holiday/IMG_1234.jpg", "IMG_1234.jpg"
	console.OriginalKey = "original/" + cid + ".jpg"
	console.Derivatives = append([]catalog.Derivative(nil), result.Derivatives...)
	for i := range console.Derivatives {
		console.Derivatives[i].Key = strings.ReplaceAll(console.Derivatives[i].Key, id, cid)
	}
	write("console resize", "console resize: MarkReady (creates the row)", cid, func() error { return s.MarkReady(ctx, &console) })

	direct := &catalog.Image{ID: "0192f5b4-7c1e-7d3a-9b2e-000000000001", Owner: owner, Origin: catalog.OriginDirect,
		Filename: "IMG_0001.jpg", StagingKey: "staging/0192f5b4-7c1e-7d3a-9b2e-000000000001.jpg", ExpiresAt: time.Now().Add(15 * time.Minute)}
	write("expired direct upload", "direct upload: Create (pending)", direct.ID, func() error { return s.Create(ctx, direct) })
	write("expired direct upload", "sweep: Expire", direct.ID, func() error { return s.Expire(ctx, direct.ID, "the upload URL expired") })

	read("Get (consistent)", true, []map[string]types.AttributeValue{item(id)}, func() error { _, err := s.Get(ctx, id); return err })
	// A page of 20 reads 21 items: the extra one says whether there is a next page.
	for i := range 25 {
		img := *upload
		img.ID = fmt.Sprintf("0192f5b4-7c1e-7d3a-9b2e-1000000000%02d", i)
		img.StagingKey = "staging/" + img.ID + ".jpg"
		img.CreatedAt = time.Now().Add(-time.Duration(i) * time.Minute)
		if err := s.Create(ctx, &img); err != nil {
			t.Fatal(err)
		}
	}
	rec.take()
	page, _, err := s.List(ctx, catalog.Query{Owner: owner, Limit: 21})
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]types.AttributeValue
	for _, img := range page {
		items = append(items, item(img.ID))
	}
	rec.take()
	read("List: a page of 20 of an owner's rows (21 read)", false, items, func() error {
		_, _, err := s.List(ctx, catalog.Query{Owner: owner, Limit: 20})
		return err
	})
	write("delete", "Delete a ready row", id, func() error { return s.Delete(ctx, id) })

	t.Logf("capacity per request, a typical row (the table's units checked against dynalite's ReturnConsumedCapacity):\n%s",
		strings.Join(lines, "\n"))
	t.Logf("per scenario: upload %.0f WCU and 1 RCU, console resize %.0f WCU, a duplicate event and a late failure %.0f WCU, "+
		"an expired direct upload %.0f WCU, a delete %.0f WCU", total["upload"], total["console resize"], total["duplicate event"],
		total["expired direct upload"], total["delete"])
}
