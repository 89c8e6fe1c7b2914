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

// numberSize is the size of a number. DynamoDB stores the significant digits in pairs aligned on the decimal
// point (base 100) after one byte of sign and exponent, so it is 1 + ceil(digits/2) bytes, one more when an even
// count of digits straddles a pair boundary, and one more for a negative number; leading and trailing zeros do not
// count, and zero is one byte. The guide rounds this to "one byte per two significant digits, plus one"; this is
// the exact form, which dynalite implements too and the capacity test checks against it.
func numberSize(s string) int {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	intPart, frac, _ := strings.Cut(s, ".")
	all := intPart + frac
	lead := len(all) - len(strings.TrimLeft(all, "0"))
	digits := strings.Trim(all, "0")
	if digits == "" {
		return 1
	}
	exp := len(intPart) - 1 - lead // the power of ten of the first significant digit
	n := 1 + (len(digits)+1)/2
	if len(digits)%2 == 0 && exp%2 == 0 {
		n++
	}
	if neg {
		n++
	}
	return n
}
