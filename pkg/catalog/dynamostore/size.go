package dynamostore

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxItemBytes is DynamoDB's limit on the size of one item. catalog.Validate keeps every field but the form fields
// far under it (see the package doc for the worst case); the form fields are bounded by the upload function's
// MAX_FIELD_BYTES, which can be configured past it, so writes check the size themselves and refuse an item over
// the limit as catalog.ErrInvalid, before anything is written, instead of letting DynamoDB answer with a
// ValidationException.
const MaxItemBytes = 400 * 1024

// itemSize is the size DynamoDB bills and limits an item by, following "Item sizes and formats" in the DynamoDB
// developer guide: the UTF-8 bytes of every attribute name plus its value, where a string is its UTF-8 bytes, a
// number about one byte per two significant digits plus one, and a map or list 3 bytes plus one per element plus
// its elements.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	}
	return 0
}

// numberSize is one byte per two significant digits plus one; leading and trailing zeros do not count, the sign
// and decimal point neither. Zero is one byte.
func numberSize(s string) int {
	digits := strings.Trim(strings.NewReplacer("-", "", "+", "", ".", "").Replace(s), "0")
	return (len(digits)+1)/2 + 1
}
