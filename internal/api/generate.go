package api

//go:generate go run ../codegen/cmd/apigen -models ../../../shared/models -out .
