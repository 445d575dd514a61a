package qapps

import (
	"encoding/json"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
)

// appRecord is an app: its identity, owner, latest version and sharing.
type appRecord struct {
	ID            string            `json:"id"`
	Owner         user              `json:"owner"`
	Version       int32             `json:"version"` // the latest version
	CreatedAt     time.Time         `json:"createdAt"`
	Permissions   []permission      `json:"permissions,omitempty"`
	Users         []string          `json:"users,omitempty"` // user ids with a ListQApps index entry
	LibraryItemID string            `json:"libraryItemId,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
}

// permission is one grant of an action to a principal (a user id or an email).
type permission struct {
	Principal string `json:"principal"`
	Action    string `json:"action"`
}

// versionRecord is one version of an app: what UpdateQApp changes.
type versionRecord struct {
	Version       int32           `json:"version"`
	Title         string          `json:"title"`
	Description   *string         `json:"description,omitempty"`
	InitialPrompt *string         `json:"initialPrompt,omitempty"`
	Cards         []qappsapi.Card `json:"cards"`
	Capabilities  []string        `json:"capabilities,omitempty"`
	UpdatedAt     time.Time       `json:"updatedAt"`
	UpdatedBy     string          `json:"updatedBy"`
}

// userAppRecord is an entry of a user's ListQApps index.
type userAppRecord struct {
	AppID     string    `json:"appId"`
	CreatedAt time.Time `json:"createdAt"`
}

// libraryItemRecord is an app version published to the library.
type libraryItemRecord struct {
	ID          string            `json:"id"`
	AppID       string            `json:"appId"`
	AppVersion  int32             `json:"appVersion"`
	Categories  []string          `json:"categories,omitempty"`
	Status      string            `json:"status"`
	CreatedAt   time.Time         `json:"createdAt"`
	CreatedBy   string            `json:"createdBy"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	UpdatedBy   string            `json:"updatedBy"`
	RatingCount int32             `json:"ratingCount"`
	IsVerified  bool              `json:"isVerified"`
	Tags        map[string]string `json:"tags,omitempty"`
}

type ratingRecord struct {
	UserID    string    `json:"userId"`
	CreatedAt time.Time `json:"createdAt"`
}

type categoryRecord struct {
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Color *string `json:"color,omitempty"`
}

// sessionRecord is a run of an app version: the inputs given so far. Outputs
// are computed from them on every read (the responder is deterministic).
type sessionRecord struct {
	ID         string                      `json:"id"`
	AppID      string                      `json:"appId"`
	AppVersion int32                       `json:"appVersion"`
	Host       user                        `json:"host"`
	Name       *string                     `json:"name,omitempty"`
	Sharing    sharing                     `json:"sharing"`
	Inputs     map[string]*cardInputRecord `json:"inputs,omitempty"`
	Tags       map[string]string           `json:"tags,omitempty"`
	CreatedAt  time.Time                   `json:"createdAt"`
}

type sharing struct {
	Enabled         bool  `json:"enabled"`
	AcceptResponses *bool `json:"acceptResponses,omitempty"`
	RevealCards     *bool `json:"revealCards,omitempty"`
}

// cardInputRecord is what users gave one input card of a session.
type cardInputRecord struct {
	Value       *string            `json:"value,omitempty"`  // text-input
	FileID      string             `json:"fileId,omitempty"` // file-upload
	FileName    string             `json:"fileName,omitempty"`
	Submissions []submissionRecord `json:"submissions,omitempty"` // form-input
}

type submissionRecord struct {
	ID        string          `json:"id"`
	UserID    string          `json:"userId"`
	Value     json.RawMessage `json:"value"`
	Timestamp time.Time       `json:"timestamp"`
}

// sessionRef finds a session's app from the session id alone.
type sessionRef struct {
	AppID string `json:"appId"`
}

// fileRecord is a document given to a file-upload card.
type fileRecord struct {
	ID        string    `json:"id"`
	AppID     string    `json:"appId"`
	CardID    string    `json:"cardId"`
	Scope     string    `json:"scope"` // APPLICATION or SESSION
	SessionID string    `json:"sessionId,omitempty"`
	Name      string    `json:"name"`
	Size      int       `json:"size"`
	SHA256    string    `json:"sha256"` // base64
	Contents  []byte    `json:"contents"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
}

// fileRef finds a document from its id alone.
type fileRef struct {
	AppID     string `json:"appId"`
	Scope     string `json:"scope"`
	SessionID string `json:"sessionId,omitempty"`
}

// uploadRecord is a presigned upload handed out by CreatePresignedUrl.
type uploadRecord struct {
	FileID    string    `json:"fileId"`
	Instance  string    `json:"instance"`
	AppID     string    `json:"appId"`
	CardID    string    `json:"cardId"`
	Scope     string    `json:"scope"`
	SessionID string    `json:"sessionId,omitempty"`
	FileName  string    `json:"fileName"`
	SHA256    string    `json:"sha256"`
	ExpiresAt time.Time `json:"expiresAt"`
	UserID    string    `json:"userId"`
}

// exportRecord is a CSV made by ExportQAppSessionData, served by Routes.
type exportRecord struct {
	ID        string    `json:"id"`
	CSV       []byte    `json:"csv"`
	ExpiresAt time.Time `json:"expiresAt"`
}
