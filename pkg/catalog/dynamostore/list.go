package dynamostore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// List implements catalog.Store with a Query on IndexOwner (q.Owner) or IndexAll (q.All), newest first.
//
// The cursor is catalog's keyset cursor, (CreatedAt, ID) of the last row of the previous page, and becomes the key
// condition #listKey < :cursor: the rows after it in the listing order are exactly those whose listKey sorts
// before it, whether or not the cursor's own row still exists or is still in the index (it may have been deleted,
// or have left the pending index). It is a condition on the index's sort key, so DynamoDB starts reading at that
// point rather than filtering. ExclusiveStartKey would need the row's full index key (the owner, the partition
// value) and is only used inside one call, from LastEvaluatedKey, when a Query stops at its 1 MB limit before the
// page is full.
//
// The indexes are eventually consistent: a row written a moment ago may be missing from a listing, or shown as it
// was before the write. Paging stays free of duplicates (each page starts strictly after the previous one's last
// key), and a row whose index entry exists when its place is read is not skipped; a row created while a client
// pages shows up on a later listing, as it does on the SQL backends when it sorts before the cursor.
func (s *Store) List(ctx context.Context, q catalog.Query) ([]catalog.Image, string, error) {
	n, cur, err := q.Check()
	if err != nil {
		return nil, "", err
	}
	e := newExpr()
	in := &dynamodb.QueryInput{TableName: aws.String(s.table), ScanIndexForward: aws.Bool(false)}
	var cond string
	if q.All {
		in.IndexName = aws.String(IndexAll)
		cond = e.n(attrAllKey) + " = " + e.v("all", str(allPartition))
	} else {
		in.IndexName = aws.String(IndexOwner)
		cond = e.n(attrOwner) + " = " + e.v("owner", str(q.Owner))
	}
	if cur != nil {
		cond += " AND " + e.n(attrListKey) + " < " + e.v("cursor", str(listKey(cur.CreatedAt, cur.ID)))
	}
	in.KeyConditionExpression = aws.String(cond)
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.attrNames(), e.attrValues()
	return s.page(ctx, "list", in, n)
}

// ListPending implements catalog.Store with a Query on IndexPending, oldest first: the rows created before before
// are those whose listKey sorts before before's time prefix (a key with that very time has "#id" after it and
// sorts after), and the cursor continues strictly after its key.
func (s *Store) ListPending(ctx context.Context, before time.Time, limit int, cursor string) ([]catalog.Image, string, error) {
	n, err := catalog.PageSize(limit)
	if err != nil {
		return nil, "", err
	}
	var cur *catalog.Cursor
	if cursor != "" {
		c, err := catalog.DecodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		cur = &c
	}
	// before outside what a listKey can hold: nothing is older than 1970, everything is older than year 33658.
	upper := ""
	switch micros := before.UnixMicro(); {
	case micros <= 0:
		return nil, "", nil
	case micros <= maxListMicros:
		upper = timePrefix(micros)
	}
	e := newExpr()
	cond := e.n(attrPendingKey) + " = " + e.v("pending", str(pendingPartition))
	switch {
	case cur != nil && upper != "":
		// BETWEEN is inclusive; the smallest key after the cursor's is its key followed by the smallest byte an id
		// may hold ('!', 0x21), and no key equals the upper bound, which has no "#id".
		lower := listKey(cur.CreatedAt, cur.ID) + "!"
		if lower > upper {
			return nil, "", nil // DynamoDB refuses BETWEEN with the bounds reversed
		}
		cond += " AND " + e.n(attrListKey) + " BETWEEN " + e.v("after", str(lower)) + " AND " + e.v("before", str(upper))
	case cur != nil:
		cond += " AND " + e.n(attrListKey) + " > " + e.v("after", str(listKey(cur.CreatedAt, cur.ID)))
	case upper != "":
		cond += " AND " + e.n(attrListKey) + " < " + e.v("before", str(upper))
	}
	return s.page(ctx, "list pending", &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(IndexPending),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  e.attrNames(),
		ExpressionAttributeValues: e.attrValues(),
		ScanIndexForward:          aws.Bool(true),
	}, n)
}

// page runs in until it has n+1 rows or the index has no more: the extra row says whether there is a next page, so
// a page with a next cursor is always full. Each Query asks for the rows still missing, and one that stops short at
// DynamoDB's 1 MB limit is continued from its LastEvaluatedKey.
func (s *Store) page(ctx context.Context, op string, in *dynamodb.QueryInput, n int) ([]catalog.Image, string, error) {
	in.ReturnConsumedCapacity = s.returnCapacity()
	page := make([]catalog.Image, 0, n+1)
	for {
		in.Limit = aws.Int32(int32(n + 1 - len(page)))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, "", wrap(op, err)
		}
		s.observe(op, out.ConsumedCapacity)
		for _, item := range out.Items {
			img, err := unmarshal(item)
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", op, err)
			}
			page = append(page, *img)
		}
		if len(page) > n || len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if len(page) <= n {
		return page, "", nil
	}
	page = page[:n]
	return page, catalog.CursorAt(&page[n-1]), nil
}
