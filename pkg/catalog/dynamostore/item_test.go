package dynamostore

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

func TestItemRoundTrip(t *testing.T) {
	created := time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)
	for name, img := range map[string]catalog.Image{
		"minimal pending": {ID: "a", Status: catalog.StatusPending, Origin: catalog.OriginUpload, CreatedAt: created, UpdatedAt: created},
		"full ready": {ID: "0190a8f4-0000-7000-8000-000000000001", Status: catalog.StatusReady, Owner: "sub|ä", Origin: catalog.OriginDirect,
			Filename: "Café 🌅.jpg", ContentType: "image/jpeg", Bytes: 1 << 40, Width: 8000, Height: 6000,
			Fields: map[string]string{"": "empty name", "caption": "", "x": "y\nz"}, StagingKey: "staging/a.jpg", SourceETag: `"abc-2"`,
			OriginalKey: "original/a.jpg", Derivatives: []catalog.Derivative{{Width: 1, Height: 2, Bytes: 3, Key: "k", ContentType: "t"}, {}},
			ExpiresAt: created.Add(time.Hour), CreatedAt: created, UpdatedAt: created.Add(time.Second)},
		"failed console": {ID: "c", Status: catalog.StatusFailed, Origin: catalog.OriginConsole, FailureReason: "corrupt",
			CreatedAt: time.Unix(0, 0).UTC(), UpdatedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
	} {
		t.Run(name, func(t *testing.T) {
			item := marshal(&img)
			got, err := unmarshal(item)
			if err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !reflect.DeepEqual(*got, img) {
				t.Errorf("round trip:\n got %+v\nwant %+v", *got, img)
			}
			// The index keys: pending rows only in the pending index, unowned rows not in the owner index.
			if _, ok := item[attrPendingKey]; ok != (img.Status == catalog.StatusPending) {
				t.Errorf("pendingKey present = %v for a %s row", ok, img.Status)
			}
			if _, ok := item[attrOwner]; ok != (img.Owner != "") {
				t.Errorf("owner present = %v for owner %q", ok, img.Owner)
			}
			for name, v := range item {
				if s, ok := v.(*types.AttributeValueMemberS); ok && s.Value == "" {
					t.Errorf("attribute %s is an empty string", name)
				}
			}
		})
	}
}

func TestUnmarshalRefusesForeignTypes(t *testing.T) {
	base := marshal(&catalog.Image{ID: "a", Status: catalog.StatusReady, Origin: catalog.OriginUpload, CreatedAt: time.Now(), UpdatedAt: time.Now()})
	for name, attr := range map[string]struct {
		name string
		v    types.AttributeValue
	}{
		"number as string": {attrWidth, str("12")},
		"string as number": {attrFilename, num(1)},
		"fraction":         {attrBytes, &types.AttributeValueMemberN{Value: "1.5"}},
		"bad time":         {attrCreatedAt, str("yesterday")},
		"fields not a map": {attrFields, str("{}")},
		"field not string": {attrFields, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": num(1)}}},
		"derivative":       {attrDerivatives, &types.AttributeValueMemberL{Value: []types.AttributeValue{str("x")}}},
		"derivative width": {attrDerivatives, &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{attrDerivWidth: str("1")}}}}},
	} {
		item := map[string]types.AttributeValue{}
		for k, v := range base {
			item[k] = v
		}
		item[attr.name] = attr.v
		if _, err := unmarshal(item); err == nil {
			t.Errorf("%s: unmarshal accepted %s = %#v", name, attr.name, attr.v)
		}
	}
}

// listKeys must sort exactly as (CreatedAt, ID) does, since the index sorts by them and the cursor is one.
func TestListKeyOrder(t *testing.T) {
	times := []time.Time{
		time.Unix(0, 0), time.Unix(0, 1000), time.Unix(9, 999999000), time.Unix(10, 0), time.Unix(1_700_000_000, 0),
		time.Date(2286, 11, 20, 17, 46, 39, 999999000, time.UTC), // the last 16-digit microsecond count
		time.Date(2286, 11, 20, 17, 46, 40, 0, time.UTC),         // the first 17-digit one
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	}
	// Ids around '#' (0x23) and '!' (0x21), prefixes of each other, and the extremes of printable ASCII.
	ids := []string{"!", "!!", "\"", "#", "#a", "$", "a", "a!", "a#", "a~", "ab", "~", strings.Repeat("~", catalog.MaxIDBytes)}
	type k struct {
		t  time.Time
		id string
	}
	var keys []k
	for _, tm := range times {
		for _, id := range ids {
			keys = append(keys, k{tm, id})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		a, b := keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]
		want := a.t.Compare(b.t)
		if want == 0 {
			want = strings.Compare(a.id, b.id)
		}
		ka, kb := listKey(a.t, a.id), listKey(b.t, b.id)
		if got := strings.Compare(ka, kb); got != want {
			t.Fatalf("listKey(%v, %q) vs listKey(%v, %q): %d, want %d", a.t, a.id, b.t, b.id, got, want)
		}
		// ListPending's lower bound after a cursor: key+"!" is at most any greater key.
		if ka < kb && ka+"!" > kb {
			t.Fatalf("%q + \"!\" sorts after the greater key %q", ka, kb)
		}
	}
	// ListPending's bounds: a time prefix sorts after every key of an earlier time and before every key of its own.
	for _, a := range keys {
		for _, tm := range times {
			got := listKey(a.t, a.id) < timePrefix(tm.UnixMicro())
			if want := a.t.Before(tm); got != want {
				t.Fatalf("listKey(%v, %q) < prefix(%v) = %v, want %v", a.t, a.id, tm, got, want)
			}
		}
	}
}
