package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// The upload function's default form limits (pkg/config: MAX_FIELDS, MAX_FIELD_BYTES), which bound the one part of
// an item catalog.Validate does not.
const (
	defaultMaxFields     = 32
	defaultMaxFieldBytes = 8192
)

// worstCase is the largest image catalog.Validate accepts with the default form limits: every string at its limit
// in multi-byte UTF-8 where allowed, MaxDerivatives derivatives with the longest keys, the form fields at
// MAX_FIELD_BYTES, the largest numbers.
func worstCase(id string) *catalog.Image {
	long := func(n int) string { return strings.Repeat("é", n/2) + strings.Repeat("a", n%2) }
	fields := map[string]string{}
	per := defaultMaxFieldBytes / defaultMaxFields // name and value share each field's share
	for i := range defaultMaxFields {
		name := fmt.Sprintf("f%02d", i)
		fields[name] = strings.Repeat("v", per-len(name))
	}
	img := &catalog.Image{ID: id, Status: catalog.StatusReady, Owner: long(catalog.MaxOwnerBytes), Origin: catalog.OriginConsole,
		Filename: long(catalog.MaxFilenameBytes), ContentType: strings.Repeat("t", catalog.MaxContentTypeBytes),
		Bytes: 1<<63 - 1, Width: 1<<31 - 1, Height: 1<<31 - 1, Fields: fields,
		StagingKey: strings.Repeat("s", catalog.MaxKeyBytes), SourceETag: strings.Repeat("e", catalog.MaxETagBytes),
		OriginalKey: strings.Repeat("o", catalog.MaxKeyBytes), FailureReason: long(catalog.MaxFailureReason),
		ExpiresAt: time.Now(), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	for i := range catalog.MaxDerivatives {
		img.Derivatives = append(img.Derivatives, catalog.Derivative{Width: 1<<31 - 1, Height: 1<<31 - 1, Bytes: 1<<63 - 1,
			Key: strings.Repeat(fmt.Sprint(i%10), catalog.MaxKeyBytes), ContentType: strings.Repeat("t", catalog.MaxContentTypeBytes)})
	}
	return img
}

// The worst case stays far under DynamoDB's 400 KB, so no valid upload can hit the limit with the default form
// limits; the figure goes in the package doc. The server must accept it too.
func TestWorstCaseItemSize(t *testing.T) {
	img := worstCase(strings.Repeat("i", catalog.MaxIDBytes))
	if err := catalog.Validate(img); err != nil {
		t.Fatalf("the worst case is not valid: %v", err)
	}
	n := itemSize(marshal(img))
	t.Logf("worst-case item: %d bytes (%.1f KB, %.0f%% of the limit); derivatives alone %d bytes", n, float64(n)/1024,
		100*float64(n)/MaxItemBytes, valueSize(derivativesValue(img.Derivatives)))
	if n > MaxItemBytes/3 {
		t.Errorf("worst-case item is %d bytes, more than a third of DynamoDB's %d", n, MaxItemBytes)
	}
	if ep := testEndpointOrEmpty(); ep != "" {
		s := New(testClient(t, ep), newTable(t, testClient(t, ep)))
		if _, err := s.Import(t.Context(), img); err != nil {
			t.Fatalf("Import of the worst case: %v", err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil || got.FailureReason != img.FailureReason || len(got.Derivatives) != catalog.MaxDerivatives {
			t.Errorf("worst case read back as %v, %v", got, err)
		}
	}
}

// testEndpointOrEmpty is CATALOG_TEST_DYNAMODB_ENDPOINT for tests whose server part is a bonus.
func testEndpointOrEmpty() string {
	if testing.Short() {
		return ""
	}
	return os.Getenv("CATALOG_TEST_DYNAMODB_ENDPOINT")
}

// Form fields larger than an item can hold (MAX_FIELD_BYTES allows up to 1 MiB) are ErrInvalid before anything is
// written, whether the write is a create, a console result or an import; an update that would grow a stored row
// past the limit is refused by DynamoDB and comes back as ErrInvalid too, the row unchanged.
func TestOversizedItems(t *testing.T) {
	ep := testEndpoint(t)
	s := New(testClient(t, ep), newTable(t, testClient(t, ep)))
	ctx := t.Context()
	huge := map[string]string{"caption": strings.Repeat("x", MaxItemBytes)}
	for name, call := range map[string]func() error{
		"create": func() error { return s.Create(ctx, &catalog.Image{ID: "big-1", Fields: huge}) },
		"console result": func() error {
			return s.MarkReady(ctx, &catalog.Image{ID: "big-2", Origin: catalog.OriginConsole, StagingKey: "k", SourceETag: "e", Fields: huge})
		},
		"import": func() error {
			_, err := s.Import(ctx, &catalog.Image{ID: "big-3", Status: catalog.StatusReady, Origin: catalog.OriginUpload, Fields: huge,
				CreatedAt: time.Now(), UpdatedAt: time.Now()})
			return err
		},
	} {
		if err := call(); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	// 330 KB of fields stored, then a result adding 64 derivatives with 1 KB keys (about 85 KB): over 400 KB.
	row := &catalog.Image{ID: "big-4", StagingKey: "staging/big.jpg", Fields: map[string]string{"caption": strings.Repeat("x", 330*1024)}}
	if err := s.Create(ctx, row); err != nil {
		t.Fatalf("Create: %v", err)
	}
	result := worstCase(row.ID)
	result.Origin, result.StagingKey, result.Fields, result.Owner = catalog.OriginUpload, row.StagingKey, nil, ""
	if err := s.MarkReady(ctx, result); !errors.Is(err, catalog.ErrInvalid) || errors.Is(err, ErrUnavailable) {
		t.Errorf("MarkReady growing the row past 400 KB: got %v, want ErrInvalid", err)
	}
	if got, err := s.Get(ctx, row.ID); err != nil || got.Status != catalog.StatusPending || got.Derivatives != nil {
		t.Errorf("after the refused update: %+v, %v; want the pending row unchanged", got, err)
	}
}

// countingClient counts the requests a Store makes, passing them on unchanged.
type countingClient struct {
	Client
	queries int
}

func (c *countingClient) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries++
	return c.Client.Query(ctx, in, optFns...)
}

// A Query returns at most 1 MB. With rows of about 100 KB a page of 20 needs several, and List must follow
// LastEvaluatedKey until the page is full rather than return a short page with a next cursor, which the contract
// forbids.
func TestPagesPastOneMegabyte(t *testing.T) {
	ep := testEndpoint(t)
	client := &countingClient{Client: testClient(t, ep)}
	s := New(client, newTable(t, testClient(t, ep)))
	ctx := t.Context()
	const rows = 25
	big := map[string]string{"caption": strings.Repeat("x", 100*1024)}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		if err := s.Create(ctx, &catalog.Image{ID: fmt.Sprintf("big-%02d", i), Owner: "alice", Fields: big,
			CreatedAt: base.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	for _, q := range []catalog.Query{{All: true, Limit: 20}, {Owner: "alice", Limit: 20}} {
		client.queries = 0
		page, next, err := s.List(ctx, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		if len(page) != 20 || next == "" || page[0].ID != "big-24" || page[19].ID != "big-05" {
			t.Fatalf("List(%+v): %d rows from %s, next %q; want 20 from big-24 to big-05 and a cursor", q, len(page), page[0].ID, next)
		}
		if client.queries < 2 {
			t.Errorf("List(%+v) made %d queries for 21 rows of 100 KB; the 1 MB limit was not reached", q, client.queries)
		}
		q.Cursor = next
		page, next, err = s.List(ctx, q)
		if err != nil || len(page) != 5 || next != "" || page[4].ID != "big-00" {
			t.Errorf("second page: %d rows, next %q, %v; want the last 5", len(page), next, err)
		}
	}
	page, next, err := s.ListPending(ctx, base.Add(time.Hour), 20, "")
	if err != nil || len(page) != 20 || next == "" || page[0].ID != "big-00" {
		t.Errorf("ListPending: %d rows, next %q, %v; want 20 from big-00 and a cursor", len(page), next, err)
	}
}
