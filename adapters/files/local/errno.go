package local

import "syscall"

// The errno values fsError tells apart (os wraps them in *PathError).
const (
	syscallENAMETOOLONG = syscall.ENAMETOOLONG
	syscallENOTDIR      = syscall.ENOTDIR
	syscallEISDIR       = syscall.EISDIR
	syscallEEXIST       = syscall.EEXIST
)
