package transfer

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/connector"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/workflow"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// The B2B half of Transfer Family: connectors (connectors.go, connectorops.go
// and package connector), AS2 profiles, certificates and agreements
// (profiles.go, certificates.go, agreements.go), workflows and their
// executions (workflows.go, executions.go) and web apps (webapps.go). Their
// state lives in the store beside the core's:
//
//	connector/<c-id>                            connectorRecord
//	connector/<c-id>/op/<uuid>                  connector.Op (a transfer, listing, remote delete or move)
//	profile/<p-id>                              profileRecord
//	certificate/<cert-id>                       certRecord
//	server/<s-id>/agreement/<a-id>              agreementRecord
//	workflow/<w-id>                             workflowRecord
//	workflow/<w-id>/execution/<uuid>            workflow.Execution
//	webapp/<webapp-id>                          webAppRecord
//	webapp/<webapp-id>/customization/current    webAppCustomization
//
// Connector operations run in the connector runner (package connector),
// workflow executions in the workflow engine (package workflow); every state
// change they make is written to the store, and Close stops them.

// DefaultDataDir is the data directory whose files/ folder holds the local
// S3 and EFS storage when WithFiles is not given.
const DefaultDataDir = ".ersatz"

// SecretsFileEnv names the environment variable read by New for the secrets
// file when WithSecretsFile is not given (the CLI's --secrets FILE).
const SecretsFileEnv = connector.SecretsFileEnv

// Default bounds of the connector operations.
const (
	DefaultConnectorDialTimeout = connector.DefaultDialTimeout
	DefaultConnectorOpTimeout   = connector.DefaultOpTimeout
)

// b2b is the B2B half's configuration and its engines. It holds no
// resource state: that is all in the store.
type b2b struct {
	files       *files.Store
	objects     objectstore.Store
	secretsFile string
	secretsSet  bool
	dialTimeout time.Duration
	opTimeout   time.Duration
	customStep  func(context.Context, CustomStepEvent)

	// flows runs workflow executions (package workflow).
	flows *workflow.Engine
	// conns runs connector operations (package connector).
	conns *connector.Runner
}

func (s *Service) b2bConf() *b2b {
	if s.b2b == nil {
		s.b2b = &b2b{}
	}
	return s.b2b
}

// WithFiles sets the local storage under the data directory: the EFS
// domain's files that workflow steps act on, and the folders of the default
// object store (files.New(DefaultDataDir) unless set).
func WithFiles(fs *files.Store) Option {
	return func(s *Service) {
		if fs != nil {
			s.b2bConf().files = fs
		}
	}
}

// WithObjects sets the object store holding the S3 domain's files that
// workflow steps and connectors read and write (nil keeps the default: the
// local backend over the files of WithFiles). The EFS domain stays on
// WithFiles' POSIX tree.
func WithObjects(st objectstore.Store) Option {
	return func(s *Service) {
		if st != nil {
			s.b2bConf().objects = st
		}
	}
}

// WithSecretsFile names the JSON file Ersatz reads the connectors' secrets
// from (see secrets.go). Without it, New uses $ERSATZ_SECRETS_FILE.
func WithSecretsFile(path string) Option {
	return func(s *Service) {
		c := s.b2bConf()
		c.secretsFile, c.secretsSet = path, true
	}
}

// WithConnectorTimeouts bounds the connector operations: dial is the TCP
// connect and SSH handshake limit, op the limit of a whole operation (a
// transfer of up to ten files, a listing, a remote delete or move). Zero
// keeps a default.
func WithConnectorTimeouts(dial, op time.Duration) Option {
	return func(s *Service) {
		c := s.b2bConf()
		if dial > 0 {
			c.dialTimeout = dial
		}
		if op > 0 {
			c.opTimeout = op
		}
	}
}

// WithCustomStepInvoker is called (on a background goroutine) each time a
// workflow execution reaches a CUSTOM step, with the event AWS would send to
// the step's Lambda function. Ersatz does not run Lambda functions; whoever
// handles the event resumes the execution with SendWorkflowStepState.
func WithCustomStepInvoker(fn func(context.Context, CustomStepEvent)) Option {
	return func(s *Service) { s.b2bConf().customStep = fn }
}

// initB2B fills the B2B defaults and registers the B2B taggable kinds. New
// calls it after the options.
func (s *Service) initB2B() {
	c := s.b2bConf()
	if c.files == nil {
		c.files = files.New(DefaultDataDir)
	}
	if c.objects == nil {
		c.objects = localfs.New(c.files.Dir())
	}
	if !c.secretsSet {
		c.secretsFile = os.Getenv(SecretsFileEnv)
	}
	if c.dialTimeout == 0 {
		c.dialTimeout = DefaultConnectorDialTimeout
	}
	if c.opTimeout == 0 {
		c.opTimeout = DefaultConnectorOpTimeout
	}
	c.conns = connector.New(connector.Config{
		Store: s.store, Objects: c.objects, Directory: connectorDirectory{}, Service: ServiceName,
		Clock: s.clock, SecretsFile: c.secretsFile, DialTimeout: c.dialTimeout, OpTimeout: c.opTimeout,
	})
	c.flows = workflow.New(workflow.Config{
		Store: s.store, Objects: c.objects, Files: c.files, Catalog: workflowCatalog{}, Service: ServiceName,
		Clock: s.clock, CustomStep: c.customStep,
	})
	for k, v := range b2bTagKinds() {
		s.tagKinds[k] = v
	}
}

// Close stops the background work (connector operations, workflow steps,
// custom step timers) and waits for it to end. Work cut short is recorded as
// FAILED when the store is still open. Close the service before its store.
func (s *Service) Close() error {
	c := s.b2bConf()
	return errors.Join(c.conns.Close(), c.flows.Close())
}

// Workflows is the engine that runs workflow executions: the data plane
// reports uploads to it (FileUploaded).
func (s *Service) Workflows() *workflow.Engine { return s.b2bConf().flows }

// connectors is the connector runner.
func (s *Service) connectors() *connector.Runner { return s.b2bConf().conns }

// b2bTagKinds are the taggable kinds of the B2B half.
func b2bTagKinds() map[string]tagKind {
	top := func(kind, message, resourceType string) tagKind {
		return tagKind{
			key: func(sc store.Scope, p []string) (store.Key, bool) {
				if len(p) != 1 {
					return store.Key{}, false
				}
				return store.Key{Scope: sc, Kind: kind, ID: p[0]}, true
			},
			message: message, resourceType: resourceType,
		}
	}
	return map[string]tagKind{
		"connector":   top(kindConnector, msgUnknownConnector, rtConnector),
		"profile":     top(kindProfile, msgUnknownProfile, rtProfile),
		"certificate": top(kindCertificate, msgUnknownCertificate, rtCertificate),
		"workflow":    top(kindWorkflow, msgUnknownWorkflow, rtWorkflow),
		"webapp":      top(kindWebApp, msgUnknownWebApp, rtWebApp),
		"agreement": {
			key: func(sc store.Scope, p []string) (store.Key, bool) {
				if len(p) != 2 {
					return store.Key{}, false
				}
				return serverKey(sc, p[0]).Child(kindAgreement, p[1]), true
			},
			message: msgUnknownAgreement, resourceType: rtAgreement,
		},
	}
}

// registerB2B fills the B2B operations of the operation table.
func (s *Service) registerB2B(h *transferapi.Handlers) {
	h.ImportCertificate = changes(s, s.ImportCertificate)
	h.DescribeCertificate = s.DescribeCertificate
	h.ListCertificates = s.ListCertificates
	h.UpdateCertificate = changes(s, s.UpdateCertificate)
	h.DeleteCertificate = changesErr(s, s.DeleteCertificate)

	h.CreateProfile = changes(s, s.CreateProfile)
	h.DescribeProfile = s.DescribeProfile
	h.ListProfiles = s.ListProfiles
	h.UpdateProfile = changes(s, s.UpdateProfile)
	h.DeleteProfile = changesErr(s, s.DeleteProfile)

	h.CreateAgreement = changes(s, s.CreateAgreement)
	h.DescribeAgreement = s.DescribeAgreement
	h.ListAgreements = s.ListAgreements
	h.UpdateAgreement = changes(s, s.UpdateAgreement)
	h.DeleteAgreement = changesErr(s, s.DeleteAgreement)

	h.CreateConnector = changes(s, s.CreateConnector)
	h.DescribeConnector = s.DescribeConnector
	h.ListConnectors = s.ListConnectors
	h.UpdateConnector = changes(s, s.UpdateConnector)
	h.DeleteConnector = changesErr(s, s.DeleteConnector)
	h.TestConnection = changes(s, s.TestConnection)
	h.StartFileTransfer = changes(s, s.StartFileTransfer)
	h.StartDirectoryListing = changes(s, s.StartDirectoryListing)
	h.StartRemoteDelete = changes(s, s.StartRemoteDelete)
	h.StartRemoteMove = changes(s, s.StartRemoteMove)
	h.ListFileTransferResults = s.ListFileTransferResults

	h.CreateWorkflow = changes(s, s.CreateWorkflow)
	h.DescribeWorkflow = s.DescribeWorkflow
	h.ListWorkflows = s.ListWorkflows
	h.DeleteWorkflow = changesErr(s, s.DeleteWorkflow)
	h.DescribeExecution = s.DescribeExecution
	h.ListExecutions = s.ListExecutions
	h.SendWorkflowStepState = changes(s, s.SendWorkflowStepState)

	h.CreateWebApp = changes(s, s.CreateWebApp)
	h.DescribeWebApp = s.DescribeWebApp
	h.ListWebApps = s.ListWebApps
	h.UpdateWebApp = changes(s, s.UpdateWebApp)
	h.DeleteWebApp = changesErr(s, s.DeleteWebApp)
	h.DescribeWebAppCustomization = s.DescribeWebAppCustomization
	h.UpdateWebAppCustomization = changes(s, s.UpdateWebAppCustomization)
	h.DeleteWebAppCustomization = changesErr(s, s.DeleteWebAppCustomization)
}
