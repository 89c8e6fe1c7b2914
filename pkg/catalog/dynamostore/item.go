package dynamostore

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// Attribute names of an item. They are spelled as the JSON names of catalog.Image so that an item read in the
// console or exported reads like the API's JSON. Only the three key attributes of the indexes (listKey, allKey,
// pendingKey) are not fields of Image: they are derived from it on every write.
const (
	attrID            = "id"
	attrStatus        = "status"
	attrOwner         = "owner"
	attrOrigin        = "origin"
	attrFilename      = "filename"
	attrContentType   = "contentType"
	attrBytes         = "bytes"
	attrWidth         = "width"
	attrHeight        = "height"
	attrFields        = "fields"
	attrStagingKey    = "stagingKey"
	attrSourceETag    = "sourceEtag"
	attrOriginalKey   = "originalKey"
	attrFailureReason = "failureReason"
	attrDerivatives   = "derivatives"
	attrExpiresAt     = "expiresAt"
	attrCreatedAt     = "createdAt"
	attrUpdatedAt     = "updatedAt"

	// attrListKey is the sort key of every index: CreatedAt and ID in one string (see listKey).
	attrListKey = "listKey"
	// attrAllKey is the partition key of IndexAll, the same value (allPartition) on every item.
	attrAllKey = "allKey"
	// attrPendingKey is the partition key of IndexPending. It exists only while the row is pending, so that the
	// index holds pending rows only and a row leaves it when it is completed or expires.
	attrPendingKey = "pendingKey"
)

// Attribute names of a derivative, one map per element of the derivatives list.
const (
	attrDerivWidth       = "width"
	attrDerivHeight      = "height"
	attrDerivBytes       = "bytes"
	attrDerivKey         = "key"
	attrDerivContentType = "contentType"
)

// The constant partition values of IndexAll and IndexPending.
const (
	allPartition     = "all"
	pendingPartition = "pending"
)

// timeLayout is how times are stored: UTC, always six fraction digits, so that the text sorts as the time does and
// a value read back equals the microsecond-truncated time that was written.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// listKeyDigits is the width of the zero-padded microseconds in a listKey. catalog.Validate keeps times in
// 1970-9999, whose Unix microseconds (at most 253402300799999999) have at most 18 digits, so padding to 18 makes
// string order equal time order.
const listKeyDigits = 18

// maxListMicros is the largest Unix microsecond count a listKey can hold.
const maxListMicros = 999_999_999_999_999_999

// listKey is the sort key of an image in every index: its CreatedAt in zero-padded Unix microseconds, "#", and its
// ID. DynamoDB orders string sort keys by their UTF-8 bytes, so listKeys sort by (CreatedAt, ID) exactly as the SQL
// backends' ORDER BY created_at, id (ids are ASCII and compared bytewise there too), and a catalog.Cursor maps to
// one listKey.
func listKey(created time.Time, id string) string {
	return timePrefix(created.UnixMicro()) + "#" + id
}

// timePrefix is the time part of a listKey.
func timePrefix(micros int64) string {
	return fmt.Sprintf("%0*d", listKeyDigits, micros)
}

func formatTime(t time.Time) string { return catalog.NormTime(t).Format(timeLayout) }

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// marshal turns a whole row into an item. Empty strings, zero numbers, zero times and empty maps and lists are left
// out: DynamoDB would store them (only key attributes must not be empty), but absent reads back as the zero value
// anyway, and leaving them out keeps items small and, for owner, is required: an index key attribute may not be an
// empty string, and an image with no owner must simply not be in IndexOwner.
func marshal(img *catalog.Image) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		attrID:        str(img.ID),
		attrStatus:    str(string(img.Status)),
		attrOrigin:    str(string(img.Origin)),
		attrCreatedAt: str(formatTime(img.CreatedAt)),
		attrUpdatedAt: str(formatTime(img.UpdatedAt)),
		attrListKey:   str(listKey(img.CreatedAt, img.ID)),
		attrAllKey:    str(allPartition),
	}
	if img.Status == catalog.StatusPending {
		item[attrPendingKey] = str(pendingPartition)
	}
	for name, v := range map[string]string{
		attrOwner:         img.Owner,
		attrFilename:      img.Filename,
		attrContentType:   img.ContentType,
		attrStagingKey:    img.StagingKey,
		attrSourceETag:    img.SourceETag,
		attrOriginalKey:   img.OriginalKey,
		attrFailureReason: img.FailureReason,
	} {
		if v != "" {
			item[name] = str(v)
		}
	}
	for name, v := range map[string]int64{attrBytes: img.Bytes, attrWidth: int64(img.Width), attrHeight: int64(img.Height)} {
		if v != 0 {
			item[name] = num(v)
		}
	}
	if len(img.Fields) > 0 {
		item[attrFields] = fieldsValue(img.Fields)
	}
	if len(img.Derivatives) > 0 {
		item[attrDerivatives] = derivativesValue(img.Derivatives)
	}
	if !img.ExpiresAt.IsZero() {
		item[attrExpiresAt] = str(formatTime(img.ExpiresAt))
	}
	return item
}

// fieldsValue stores the form fields as a map of strings, so they read as themselves in the console. dynalite
// accepts an empty field name as a map key; whether DynamoDB does is not known here, but the upload function's form
// parser refuses a part without a name, so none reaches the catalog that way.
func fieldsValue(fields map[string]string) types.AttributeValue {
	m := make(map[string]types.AttributeValue, len(fields))
	for k, v := range fields {
		m[k] = str(v)
	}
	return &types.AttributeValueMemberM{Value: m}
}

// derivativesValue stores the derivatives as a list of maps, in order. Every element has all five attributes, zero
// or empty ones too, so an element reads back exactly.
func derivativesValue(ds []catalog.Derivative) types.AttributeValue {
	l := make([]types.AttributeValue, len(ds))
	for i, d := range ds {
		l[i] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			attrDerivWidth:       num(int64(d.Width)),
			attrDerivHeight:      num(int64(d.Height)),
			attrDerivBytes:       num(d.Bytes),
			attrDerivKey:         str(d.Key),
			attrDerivContentType: str(d.ContentType),
		}}
	}
	return &types.AttributeValueMemberL{Value: l}
}

// unmarshal turns an item (from the table or from an index projecting ALL) back into a row. Attributes it does
// not know, such as the index keys, are ignored; a known attribute of the wrong type is an error, since it means
// something other than this package wrote the item.
func unmarshal(item map[string]types.AttributeValue) (*catalog.Image, error) {
	d := decoder{item: item}
	img := &catalog.Image{
		ID:            d.str(attrID),
		Status:        catalog.Status(d.str(attrStatus)),
		Owner:         d.str(attrOwner),
		Origin:        catalog.Origin(d.str(attrOrigin)),
		Filename:      d.str(attrFilename),
		ContentType:   d.str(attrContentType),
		Bytes:         d.int(attrBytes),
		Width:         int(d.int(attrWidth)),
		Height:        int(d.int(attrHeight)),
		StagingKey:    d.str(attrStagingKey),
		SourceETag:    d.str(attrSourceETag),
		OriginalKey:   d.str(attrOriginalKey),
		FailureReason: d.str(attrFailureReason),
		ExpiresAt:     d.time(attrExpiresAt),
		CreatedAt:     d.time(attrCreatedAt),
		UpdatedAt:     d.time(attrUpdatedAt),
	}
	if v, ok := item[attrFields]; ok {
		m, isMap := v.(*types.AttributeValueMemberM)
		if !isMap {
			d.fail(attrFields, "a map")
		} else if len(m.Value) > 0 {
			img.Fields = make(map[string]string, len(m.Value))
			for k, fv := range m.Value {
				s, isStr := fv.(*types.AttributeValueMemberS)
				if !isStr {
					d.fail(attrFields+"."+k, "a string")
					continue
				}
				img.Fields[k] = s.Value
			}
		}
	}
	if v, ok := item[attrDerivatives]; ok {
		l, isList := v.(*types.AttributeValueMemberL)
		if !isList {
			d.fail(attrDerivatives, "a list")
		} else if len(l.Value) > 0 {
			img.Derivatives = make([]catalog.Derivative, len(l.Value))
			for i, ev := range l.Value {
				m, isMap := ev.(*types.AttributeValueMemberM)
				if !isMap {
					d.fail(fmt.Sprintf("%s[%d]", attrDerivatives, i), "a map")
					continue
				}
				e := decoder{item: m.Value}
				img.Derivatives[i] = catalog.Derivative{
					Width:       int(e.int(attrDerivWidth)),
					Height:      int(e.int(attrDerivHeight)),
					Bytes:       e.int(attrDerivBytes),
					Key:         e.str(attrDerivKey),
					ContentType: e.str(attrDerivContentType),
				}
				if e.err != nil {
					d.fail(fmt.Sprintf("%s[%d]: %v", attrDerivatives, i, e.err), "well formed")
				}
			}
		}
	}
	if d.err != nil {
		return nil, fmt.Errorf("dynamostore: item %q: %w", img.ID, d.err)
	}
	return img, nil
}

// decoder reads typed attributes, remembering the first problem so unmarshal reads straight through.
type decoder struct {
	item map[string]types.AttributeValue
	err  error
}

func (d *decoder) fail(name, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s is not %s", name, want)
	}
}

func (d *decoder) str(name string) string {
	v, ok := d.item[name]
	if !ok {
		return ""
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		d.fail(name, "a string")
		return ""
	}
	return s.Value
}

func (d *decoder) int(name string) int64 {
	v, ok := d.item[name]
	if !ok {
		return 0
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		d.fail(name, "a number")
		return 0
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		d.fail(name, "an integer")
	}
	return i
}

func (d *decoder) time(name string) time.Time {
	s := d.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		d.fail(name, "a time in "+timeLayout)
	}
	return t.UTC()
}
