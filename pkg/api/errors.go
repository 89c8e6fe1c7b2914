package api

import (
	"net/http"

	"github.com/imgpipe/imgpipe/pkg/apigw"
)

// errorBody is the JSON shape of every error: {"error": {"code": "...", "message": "..."}}.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func errorResponse(status int, code, message string) *apigw.Response {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	return apigw.JSON(status, b)
}

// unavailable answers an internal failure. The cause goes to the log, never to the client.
func (s *Service) unavailable(op string, err error) *apigw.Response {
	s.Log.Error(op+" failed", "error", err.Error())
	return errorResponse(http.StatusServiceUnavailable, "unavailable", "the service is temporarily unavailable; try again")
}
