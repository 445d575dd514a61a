package qapps

import (
	"context"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
)

// PredictQApp.
//
// Ersatz derives an app definition from the problem statement (or from a
// conversation: the bodies of its USER messages joined by newlines) without
// any model, deterministically, and always one CreateQApp accepts:
//   - title: the statement's first six words, without the characters a title
//     may not hold ({ } \ " < >), first letter upper-cased ("Generated Q App"
//     when nothing is left);
//   - description: "Generated from the problem statement: " and the statement,
//     cut to 500 characters; initialPrompt: the statement, cut to 10,000;
//   - cards: a text-input card "Input"; a file-upload card "Document" when the
//     statement speaks of a file, document, upload, attachment, PDF or
//     spreadsheet; a q-query card "Result" whose prompt is the statement
//     followed by @ mentions of those input cards.
//
// Card ids are UUID version 5 of the statement and the card's role, so the
// same statement always gives the same definition.

var fileWords = regexp.MustCompile(`(?i)\b(files?|documents?|uploads?|uploaded|attachments?|attached|pdfs?|spreadsheets?|csv)\b`)

// PredictQApp derives an app definition from a problem statement or conversation.
func (s *Service) PredictQApp(ctx context.Context, in *qappsapi.PredictQAppInput) (*qappsapi.PredictQAppOutput, error) {
	if _, err := s.begin(ctx, in.InstanceId); err != nil {
		return nil, err
	}
	if in.Options == nil {
		return nil, validation("Value null at 'options' failed to satisfy constraint: give a problemStatement or a conversation")
	}
	var statement string
	if in.Options.ProblemStatement != nil {
		statement = strings.TrimSpace(*in.Options.ProblemStatement)
		if statement == "" {
			return nil, validation("Value at 'options.problemStatement' must not be blank")
		}
	} else {
		var parts []string
		for _, m := range in.Options.Conversation {
			if api.Val(m.Type) == qappsapi.SenderUser && strings.TrimSpace(api.Val(m.Body)) != "" {
				parts = append(parts, strings.TrimSpace(*m.Body))
			}
		}
		if len(parts) == 0 {
			return nil, validation("Value at 'options.conversation' has no USER message with a body to build an app from")
		}
		statement = strings.Join(parts, "\n")
	}
	statement = cut(statement, 10000)
	def := predictDefinition(statement)
	return &qappsapi.PredictQAppOutput{App: def, ProblemStatement: api.Ptr(statement)}, nil
}

func predictDefinition(statement string) *qappsapi.PredictAppDefinition {
	inputID := ids.UUIDv5(predictNamespace, statement+"\x00input")
	cards := []qappsapi.CardInput{{TextInput: &qappsapi.TextInputCardInput{
		Title: api.Ptr("Input"), Id: api.Ptr(inputID), Type: api.Ptr(qappsapi.CardTypeTextInput),
		Placeholder: api.Ptr(cut("Details for: "+statement, 500)),
	}}}
	prompt := statement + "\n\nInput: @" + inputID
	if fileWords.MatchString(statement) {
		fileID := ids.UUIDv5(predictNamespace, statement+"\x00document")
		cards = append(cards, qappsapi.CardInput{FileUpload: &qappsapi.FileUploadCardInput{
			Title: api.Ptr("Document"), Id: api.Ptr(fileID), Type: api.Ptr(qappsapi.CardTypeFileUpload),
		}})
		prompt += "\nDocument: @" + fileID
	}
	cards = append(cards, qappsapi.CardInput{QQuery: &qappsapi.QQueryCardInput{
		Title: api.Ptr("Result"), Id: api.Ptr(ids.UUIDv5(predictNamespace, statement+"\x00result")),
		Type: api.Ptr(qappsapi.CardTypeQQuery), Prompt: api.Ptr(prompt),
		OutputSource: api.Ptr(qappsapi.CardOutputSourceApprovedSources),
	}})
	return &qappsapi.PredictAppDefinition{
		Title:         api.Ptr(predictTitle(statement)),
		Description:   api.Ptr(cut("Generated from the problem statement: "+statement, 500)),
		AppDefinition: &qappsapi.AppDefinitionInput{Cards: cards, InitialPrompt: api.Ptr(statement)},
	}
}

func predictTitle(statement string) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`{}\"<>`, r) || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, statement)
	words := strings.Fields(clean)
	if len(words) > 6 {
		words = words[:6]
	}
	title := strings.TrimRight(strings.Join(words, " "), ".,;:!?")
	title = cut(title, 100)
	if strings.TrimSpace(title) == "" {
		return "Generated Q App"
	}
	r, n := utf8.DecodeRuneInString(title)
	return string(unicode.ToUpper(r)) + title[n:]
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
