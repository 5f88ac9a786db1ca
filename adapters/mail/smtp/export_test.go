package smtp

import "crypto/x509"

// TrustRoots makes the provider trust pool instead of the system roots,
// for tests against smtpfake's self-signed certificate.
func TrustRoots(pool *x509.CertPool) { rootCAs = pool }
