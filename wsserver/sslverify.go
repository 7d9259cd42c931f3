package wsserver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/qtgo/qtgo/signals"
)

// Peer certificate verification as Qt reports it.
//
// crypto/x509 stops at the first problem it finds and says it in its own
// words; Qt (with OpenSSL) goes on and reports every problem of a chain as
// a QSslError, through peerVerifyError one by one and then sslErrors as a
// list. verifyPeer redoes the checks of OpenSSL 3's X509_verify_cert that
// matter for TLS, in its order, and reports them with Qt's codes.
//
// What Qt 6.4.2 with OpenSSL 3.0.19 (Debian 12) reports, seen with a
// QSslSocket client connecting to a Go TLS server on 127.0.0.1 (and a Go
// client connecting to a QSslSocket server in VerifyPeer mode), its CA
// certificates set to the "trusted" ones, the host 127.0.0.1 unless said.
// Codes are in peerVerifyError order; sslErrors lists the same errors with
// HostNameMismatch moved first. (cert) is the error's certificate():
// null when it is not one the peer sent.
//
//	chain sent                      trusted        Qt's errors
//	self-signed leaf                nothing        9 SelfSignedCertificate (leaf)
//	self-signed leaf                itself         none
//	self-signed, expired            nothing        9 (leaf), 6 CertificateExpired (leaf)
//	self-signed, other host         nothing        9 (leaf), 22 HostNameMismatch (leaf); sslErrors 22, 9
//	leaf, root                      nothing        10 SelfSignedCertificateInChain (root)
//	leaf, inter, root               nothing        10 (root)
//	leaf                            nothing        11 UnableToGetLocalIssuerCertificate (leaf), 12 UnableToVerifyFirstCertificate (leaf)
//	leaf (inter not sent)           root           11 (leaf), 12 (leaf)
//	leaf, inter                     nothing        11 (inter)
//	leaf expired                    root           6 (leaf)
//	leaf not yet valid              root           5 CertificateNotYetValid (leaf)
//	leaf expired, root              nothing        10 (root), 6 (leaf)
//	leaf expired                    nothing        11 (leaf), 12 (leaf), 6 (leaf)
//	leaf                            expired root   11 (leaf), 12 (leaf): Qt leaves expired CAs out
//	leaf expired                    expired root   11 (leaf), 12 (leaf), 6 (leaf)
//	leaf                            root not yet valid  5 (null)
//	leaf not yet valid              root not yet valid  5 (null), 5 (leaf)
//	leaf, inter expired             root           6 (inter)
//	leaf for other.example          root           22 (leaf)
//	leaf with a DNS SAN only        root           22 (leaf) (host 127.0.0.1; none for localhost)
//	leaf expired, other host        root           6 (leaf), 22 (leaf); sslErrors 22, 6
//	leaf EKU clientAuth only        root           16 InvalidPurpose (leaf)
//	leaf EKU anyExtendedKeyUsage    root           16 (leaf)
//	leaf KeyUsage certSign only     root           16 (leaf)
//	leaf without EKU                root           none
//	leaf                            root with EKU clientAuth only  16 (null); 16 (root) if sent
//	leaf, inter CA:false            root           14 InvalidCaCertificate (inter), 16 (inter)
//	leaf, inter without certSign    root           14 (inter), 16 (inter), -1 UnspecifiedError (inter)
//	leaf, inter                     root pathlen 0 15 PathLengthExceeded (null)
//	leaf, unknown critical extension, expired  root  -1 (leaf), 6 (leaf)
//	leaf signed by another key with the root's name and key id
//	                                root           4 CertificateSignatureFailed (leaf); here 11, 12 (below)
//	leaf, inter                     inter          1 UnableToGetIssuerCertificate (inter); here none (below)
//	leaf                            root CA:false  14 (null), 16 (null); here 11, 12 (below)
//	server side, no client certificate             21 NoPeerCertificate (null)
//	server side, client EKU serverAuth only        16 (leaf)
//
// The server side otherwise reports as the client side, without the host
// name check (a client certificate for another host is fine).
//
// Where this differs from Qt, and why:
//   - A certificate in the pool of roots is a trust anchor even if it is
//     not self-signed, as everywhere in crypto/x509; OpenSSL looks for its
//     issuer too, and Qt reports UnableToGetIssuerCertificate.
//   - A root in the pool whose signature on the chain is wrong is not
//     seen: x509.CertPool cannot be listed, so the roots are reached only
//     through Verify, which skips such a candidate. Qt's 4 becomes 11, 12.
//     Likewise a pool root that is not a CA is not found (Qt: 14, 16).
//   - Host names are checked by crypto/x509's VerifyHostname: only the
//     subjectAltName counts, where Qt also accepts the Common Name.
//   - Revocation, name constraints and OCSP are not checked (Qt does not
//     check revocation by default either).

// tlsPurpose is the OpenSSL purpose a chain is verified for.
type tlsPurpose int

const (
	purposeServer tlsPurpose = iota // the peer is a TLS server ("sslserver")
	purposeClient                   // the peer is a TLS client ("sslclient")
	purposeAny                      // no purpose check (ExtKeyUsageAny)
)

// purposeOf maps crypto/x509's KeyUsages to a purpose: none means server
// authentication, as in crypto/x509.
func purposeOf(usages []x509.ExtKeyUsage) tlsPurpose {
	switch {
	case len(usages) == 0, slices.Contains(usages, x509.ExtKeyUsageServerAuth):
		return purposeServer
	case slices.Contains(usages, x509.ExtKeyUsageClientAuth):
		return purposeClient
	}
	return purposeAny
}

// verifyPeer verifies chain, the certificates the peer sent (its own
// first), and returns the errors Qt would report, in the order Qt emits
// peerVerifyError; sslErrorsList gives the order of Qt's sslErrors list.
// No errors means the peer is trusted.
//
// From opts it takes Roots (nil: the system's), CurrentTime (zero: now)
// and KeyUsages (ExtKeyUsageServerAuth, the default, when the peer is a
// server; ExtKeyUsageClientAuth when it is a client); the untrusted
// certificates are chain[1:], and opts.Intermediates and opts.DNSName are
// not used. hostname, if not empty, is the name (or IP address) the peer's
// certificate must be valid for, as Qt checks its peerVerifyName or host
// name; a server verifying a client passes "". An empty chain gives
// NoPeerCertificate.
func verifyPeer(chain []*x509.Certificate, opts x509.VerifyOptions, hostname string) []SslError {
	if len(chain) == 0 {
		return []SslError{newSslError(NoPeerCertificate, nil, nil)}
	}
	v := &peerVerifier{sent: chain, roots: opts.Roots, now: opts.CurrentTime, purpose: purposeOf(opts.KeyUsages)}
	if v.now.IsZero() {
		v.now = time.Now()
	}
	v.verify()
	if hostname != "" {
		if err := chain[0].VerifyHostname(hostname); err != nil {
			v.errs = append(v.errs, newSslError(HostNameMismatch, chain[0], err))
		}
	}
	return v.errs
}

// sslErrorsList returns errs, in verifyPeer's order, in the order of Qt's
// sslErrors list: Qt checks the host name after OpenSSL's checks, and
// emits its peerVerifyError last, but puts it first in the list.
func sslErrorsList(errs []SslError) []SslError {
	out := make([]SslError, 0, len(errs))
	for _, e := range errs {
		if e.code == HostNameMismatch {
			out = append(out, e)
		}
	}
	for _, e := range errs {
		if e.code != HostNameMismatch {
			out = append(out, e)
		}
	}
	return out
}

// emitSslErrors reports errs, verifyPeer's result, as Qt does: one
// peerVerifyError each, then sslErrors with the list. Nothing is emitted
// for no errors. Call it on the object's loop.
func emitSslErrors(peerVerifyError *signals.Signal[SslError], sslErrors *signals.Signal[[]SslError], errs []SslError) {
	if len(errs) == 0 {
		return
	}
	for _, e := range errs {
		peerVerifyError.Emit(e)
	}
	sslErrors.Emit(sslErrorsList(errs))
}

// peerVerifier is one run of verifyPeer.
type peerVerifier struct {
	sent    []*x509.Certificate
	roots   *x509.CertPool
	now     time.Time
	purpose tlsPurpose
	errs    []SslError
}

// report records an error about chain[depth]. Like Qt, which takes the
// certificate at that depth of the chain the peer sent, an error about a
// certificate that came from the local roots has none.
func (v *peerVerifier) report(code SslErrorCode, c *x509.Certificate, err error) {
	if !slices.ContainsFunc(v.sent, c.Equal) {
		c = nil
	}
	v.errs = append(v.errs, newSslError(code, c, err))
}

// verify runs OpenSSL's verify_chain: build the chain, check its
// extensions, then its signatures and validity periods from the top down.
func (v *peerVerifier) verify() {
	chain, trusted := v.build()
	top := chain[len(chain)-1]
	if !trusted {
		switch {
		case !selfSigned(top):
			v.report(UnableToGetLocalIssuerCertificate, top, x509.UnknownAuthorityError{Cert: top})
		case len(chain) == 1:
			v.report(SelfSignedCertificate, top, x509.UnknownAuthorityError{Cert: top})
		default:
			v.report(SelfSignedCertificateInChain, top, x509.UnknownAuthorityError{Cert: top})
		}
	}
	v.checkExtensions(chain)
	v.checkSignaturesAndTimes(chain, trusted)
}

// build makes the chain from the peer's certificate up, as OpenSSL's
// build_chain with X509_V_FLAG_TRUSTED_FIRST (its default): at each step
// an issuer among the roots first, else one among the certificates the
// peer sent. It ends at a trust anchor (trusted), at a self-signed
// certificate, or where no issuer is found.
func (v *peerVerifier) build() (chain []*x509.Certificate, trusted bool) {
	chain = []*x509.Certificate{v.sent[0]}
	used := make([]bool, len(v.sent))
	used[0] = true
	for {
		cur := chain[len(chain)-1]
		if anchor := v.trustedIssuer(cur); anchor != nil {
			if anchor != cur {
				chain = append(chain, anchor)
			}
			return chain, true
		}
		if selfSigned(cur) {
			return chain, false
		}
		next := -1
		for i, c := range v.sent {
			if used[i] || !likelyIssued(c, cur) {
				continue
			}
			// OpenSSL prefers an issuer that is valid now.
			if next < 0 || (!v.validNow(v.sent[next]) && v.validNow(c)) {
				next = i
			}
		}
		if next < 0 {
			return chain, false
		}
		used[next] = true
		chain = append(chain, v.sent[next])
	}
}

// trustedIssuer returns the root that issued c, or c itself if it is one
// of the roots, or nil. crypto/x509 cannot list a pool, so Verify finds
// the root: on c alone, for any usage, with c's own validity period put
// aside (checkExtensions and checkSignaturesAndTimes check c, as OpenSSL
// does), first now, then, for a root that is not yet valid (which OpenSSL
// reports later), at the end and at the start of c's validity period. A
// root that has expired is not taken: Qt leaves expired CA certificates
// out of OpenSSL's store.
func (v *peerVerifier) trustedIssuer(c *x509.Certificate) *x509.Certificate {
	probe := *c
	probe.UnhandledCriticalExtensions = nil
	probe.NotBefore, probe.NotAfter = time.Time{}, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, at := range []time.Time{v.now, c.NotAfter, c.NotBefore} {
		chains, err := probe.Verify(x509.VerifyOptions{Roots: v.roots, CurrentTime: at,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			continue
		}
		for _, ch := range chains {
			anchor := ch[len(ch)-1]
			if len(ch) == 1 { // c is a root itself
				anchor = c
			}
			if !v.now.After(anchor.NotAfter) {
				return anchor
			}
		}
	}
	return nil
}

func (v *peerVerifier) validNow(c *x509.Certificate) bool {
	return !v.now.Before(c.NotBefore) && !v.now.After(c.NotAfter)
}

// checkExtensions is OpenSSL's check_extensions: for each certificate,
// from the peer's up, critical extensions, CA-ness, purpose and path
// length.
func (v *peerVerifier) checkExtensions(chain []*x509.Certificate) {
	plen := 0 // CA certificates below this one, self-issued ones not counted
	for i, c := range chain {
		if len(c.UnhandledCriticalExtensions) > 0 {
			v.report(UnspecifiedError, c, x509.UnhandledCriticalExtension{})
		}
		if i > 0 && !isCA(c) {
			v.report(InvalidCaCertificate, c, x509.CertificateInvalidError{Cert: c, Reason: x509.NotAuthorizedToSign})
		}
		if v.purpose != purposeAny && !v.purposeAllows(c, i > 0) {
			v.report(InvalidPurpose, c, x509.CertificateInvalidError{Cert: c, Reason: x509.IncompatibleUsage})
		}
		if i > 1 && hasPathLen(c) && plen > c.MaxPathLen {
			v.report(PathLengthExceeded, c, x509.CertificateInvalidError{Cert: c, Reason: x509.TooManyIntermediates})
		}
		if i > 0 && !selfIssued(c) {
			plen++
		}
	}
}

// checkSignaturesAndTimes is OpenSSL's internal_verify: from the top of
// the chain down, the issuer's right to sign, the signature and the
// validity period of each certificate. A self-signed top (or a trust
// anchor) is not checked against itself; an untrusted top that is not
// self-signed cannot be checked at all, and is skipped, unless it is the
// only certificate (UnableToVerifyFirstCertificate).
func (v *peerVerifier) checkSignaturesAndTimes(chain []*x509.Certificate, trusted bool) {
	n := len(chain) - 1
	issuer := chain[n]
	switch {
	case trusted || selfSigned(issuer):
	case n == 0:
		v.report(UnableToVerifyFirstCertificate, issuer, x509.UnknownAuthorityError{Cert: issuer})
	default:
		n--
	}
	for ; n >= 0; n-- {
		c := chain[n]
		if c != issuer {
			if issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCertSign == 0 {
				// OpenSSL's X509_V_ERR_KEYUSAGE_NO_CERTSIGN, which Qt does
				// not name.
				v.report(UnspecifiedError, issuer, x509.CertificateInvalidError{Cert: issuer, Reason: x509.NotAuthorizedToSign})
			}
			if err := issuer.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
				code := CertificateSignatureFailed
				var weak x509.InsecureAlgorithmError
				if errors.As(err, &weak) || errors.Is(err, x509.ErrUnsupportedAlgorithm) {
					code = UnspecifiedError // OpenSSL: the digest is too weak, or unknown
				}
				v.report(code, c, err)
			}
		}
		switch {
		case v.now.Before(c.NotBefore):
			v.report(CertificateNotYetValid, c, x509.CertificateInvalidError{Cert: c, Reason: x509.Expired,
				Detail: fmt.Sprintf("current time %s is before %s", v.now.Format(time.RFC3339), c.NotBefore.Format(time.RFC3339))})
		case v.now.After(c.NotAfter):
			v.report(CertificateExpired, c, x509.CertificateInvalidError{Cert: c, Reason: x509.Expired,
				Detail: fmt.Sprintf("current time %s is after %s", v.now.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339))})
		}
		issuer = c
	}
}

// purposeAllows is OpenSSL's check_purpose_ssl_server and
// check_purpose_ssl_client: the extended key usage, if present, names the
// purpose (anyExtendedKeyUsage does not do, as in OpenSSL); a CA must be
// one; the peer's certificate, if it has a key usage, may sign (or, for a
// server, encipher keys).
func (v *peerVerifier) purposeAllows(c *x509.Certificate, ca bool) bool {
	if len(c.ExtKeyUsage) > 0 || len(c.UnknownExtKeyUsage) > 0 {
		want := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		if v.purpose == purposeServer {
			want = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth,
				x509.ExtKeyUsageNetscapeServerGatedCrypto, x509.ExtKeyUsageMicrosoftServerGatedCrypto}
		}
		if !slices.ContainsFunc(c.ExtKeyUsage, func(u x509.ExtKeyUsage) bool { return slices.Contains(want, u) }) {
			return false
		}
	}
	if ca {
		return isCA(c)
	}
	if c.KeyUsage == 0 {
		return true
	}
	allowed := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement
	if v.purpose == purposeServer {
		allowed |= x509.KeyUsageKeyEncipherment
	}
	return c.KeyUsage&allowed != 0
}

// isCA is OpenSSL's X509_check_ca: a key usage, if present, allows
// certificate signing, and basicConstraints says CA (without
// basicConstraints, a version 1 self-signed certificate or one with a key
// usage counts as a CA).
func isCA(c *x509.Certificate) bool {
	if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
		return false
	}
	if c.BasicConstraintsValid {
		return c.IsCA
	}
	return (c.Version == 1 && selfSigned(c)) || c.KeyUsage != 0
}

// hasPathLen reports whether c's basicConstraints sets a path length.
func hasPathLen(c *x509.Certificate) bool {
	return c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero)
}

// selfIssued reports whether c's subject is its issuer (OpenSSL's
// EXFLAG_SI).
func selfIssued(c *x509.Certificate) bool { return bytes.Equal(c.RawSubject, c.RawIssuer) }

// selfSigned reports whether c looks issued by itself (OpenSSL's
// EXFLAG_SS): self-issued, its key identifiers agree and its key fits its
// signature algorithm. The signature itself is not checked, as in OpenSSL.
func selfSigned(c *x509.Certificate) bool { return likelyIssued(c, c) }

// likelyIssued is OpenSSL's ossl_x509_likely_issued: issuer's subject is
// c's issuer, the key identifiers do not disagree, and issuer's key fits
// c's signature algorithm.
func likelyIssued(issuer, c *x509.Certificate) bool {
	if !bytes.Equal(issuer.RawSubject, c.RawIssuer) {
		return false
	}
	if len(c.AuthorityKeyId) > 0 && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyId, issuer.SubjectKeyId) {
		return false
	}
	return keyFits(issuer.PublicKey, c.SignatureAlgorithm)
}

// keyFits reports whether a signature of algorithm alg can be made with
// key's kind of key. Unknown algorithms fit, and fail at the signature.
func keyFits(key any, alg x509.SignatureAlgorithm) bool {
	switch alg {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.SHA256WithRSA, x509.SHA384WithRSA,
		x509.SHA512WithRSA, x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS:
		_, ok := key.(*rsa.PublicKey)
		return ok
	case x509.ECDSAWithSHA1, x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
		_, ok := key.(*ecdsa.PublicKey)
		return ok
	case x509.PureEd25519:
		_, ok := key.(ed25519.PublicKey)
		return ok
	}
	return true
}
