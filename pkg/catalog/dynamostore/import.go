package dynamostore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// Import writes img exactly as it is, status, owner, origin and times included, for copying a catalog from another
// backend (cmd/catalog-migrate). It is not part of catalog.Store: the functions only ever create pending rows and
// move them on through the rules.
//
// It is one PutItem with the condition attribute_not_exists(#id) OR #updatedAt < :updatedAt: a row that is not
// there yet is written, a row the source changed since an earlier copy (a pending upload completed meanwhile) is
// replaced, and a row that is already there as it is, or newer (changed in DynamoDB after the switch), is left
// alone. written says whether the item was written, so a second run of the same copy writes nothing. UpdatedAt
// is stored as fixed-width UTC text, so comparing the strings compares the times.
func (s *Store) Import(ctx context.Context, img *catalog.Image) (written bool, err error) {
	if err := catalog.Validate(img); err != nil {
		return false, err
	}
	switch img.Status {
	case catalog.StatusPending, catalog.StatusReady, catalog.StatusFailed, catalog.StatusExpired:
	default:
		return false, fmt.Errorf("import %s: %w: unknown status %q", img.ID, catalog.ErrInvalid, img.Status)
	}
	if img.Origin == "" || img.CreatedAt.IsZero() || img.UpdatedAt.IsZero() {
		return false, fmt.Errorf("import %s: %w: a stored row has an origin and both times", img.ID, catalog.ErrInvalid)
	}
	item := marshal(img)
	if n := itemSize(item); n > MaxItemBytes {
		return false, fmt.Errorf("import %s: %w: the item is %d bytes, over DynamoDB's %d", img.ID, catalog.ErrInvalid, n, MaxItemBytes)
	}
	e := newExpr()
	out, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      item,
		ConditionExpression: aws.String("attribute_not_exists(" + e.n(attrID) + ") OR " + e.n(attrUpdatedAt) + " < " +
			e.v(attrUpdatedAt, item[attrUpdatedAt])),
		ExpressionAttributeNames:  e.attrNames(),
		ExpressionAttributeValues: e.attrValues(),
		ReturnConsumedCapacity:    s.returnCapacity(),
	})
	if err != nil {
		if _, ok := conditionFailed(err); ok {
			s.observeFailed("import")
			return false, nil
		}
		return false, wrap("import "+img.ID, err)
	}
	s.observe("import", out.ConsumedCapacity)
	return true, nil
}
