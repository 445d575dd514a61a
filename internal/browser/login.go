package browser

import (
	"net/http"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/admin"
	"github.com/ersatz-dev/ersatz/internal/api"
)

// maxLoginForm is the largest login form read.
const maxLoginForm = 4 << 10

type loginData struct {
	On      bool // --auth sigv4: there is something to log in to
	Next    string
	Message string
}

// safeNext keeps a return address only when it is a page of the browser.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/_ersatz/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/_ersatz/"
}

func (b *Browser) loginForm(w http.ResponseWriter, r *http.Request) {
	b.render(w, r, http.StatusOK, "login", "Log in", loginData{On: b.cfg.Sessions != nil, Next: safeNext(r.URL.Query().Get("next"))})
}

func (b *Browser) login(w http.ResponseWriter, r *http.Request) {
	if err := admin.CheckFormPost(r); err != nil {
		b.refuse(w, r, err)
		return
	}
	if b.cfg.Sessions == nil {
		b.fail(w, r, http.StatusNotFound, "Authentication is off (--auth off): there is nothing to log in to.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		b.render(w, r, http.StatusBadRequest, "login", "Log in", loginData{On: true, Next: "/_ersatz/",
			Message: "The login form could not be read: send accessKeyId and secretAccessKey as a form."})
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	key, secret := strings.TrimSpace(r.PostForm.Get("accessKeyId")), r.PostForm.Get("secretAccessKey")
	if key == "" || secret == "" {
		b.render(w, r, http.StatusBadRequest, "login", "Log in", loginData{On: true, Next: next,
			Message: "accessKeyId and secretAccessKey are both required."})
		return
	}
	token, ok := b.cfg.Sessions.Login(key, secret)
	if !ok {
		b.cfg.Log.Warn("resource browser: login refused", "accessKeyId", key, "remote", r.RemoteAddr)
		b.render(w, r, http.StatusForbidden, "login", "Log in", loginData{On: true, Next: next,
			Message: "Refused: the access key and secret are not those of a credential marked \"admin\": true."})
		return
	}
	b.cfg.Log.Info("resource browser: admin logged in", "accessKeyId", key, "remote", r.RemoteAddr)
	http.SetCookie(w, cookie(r, token, int(SessionTTL.Seconds())))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (b *Browser) logout(w http.ResponseWriter, r *http.Request) {
	if err := admin.CheckFormPost(r); err != nil {
		b.refuse(w, r, err)
		return
	}
	if c, err := r.Cookie(CookieName); err == nil && b.cfg.Sessions != nil {
		b.cfg.Sessions.Logout(c.Value)
	}
	http.SetCookie(w, cookie(r, "", -1))
	http.Redirect(w, r, "/_ersatz/login", http.StatusSeeOther)
}

func (b *Browser) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusForbidden
	if se, ok := err.(api.ServiceError); ok {
		status = se.HTTPStatus()
	}
	b.fail(w, r, status, "%v", err)
}
