package wsserver

import (
	"crypto/x509"
	"strconv"
)

// SslErrorCode is QSslError::SslError, the kind of a certificate
// verification error: what QSslError::error() returns, here
// SslError.Code(). The enum takes the name SslErrorCode because the class,
// QSslError, is SslError.
type SslErrorCode int

// QSslError's error codes, with Qt's names and values (Qt 6.4,
// qsslerror.h; UnspecifiedError is -1). OcspSigRequred keeps Qt's spelling.
const (
	NoError                             SslErrorCode = iota // no error
	UnableToGetIssuerCertificate                            // the issuer certificate could not be found
	UnableToDecryptCertificateSignature                     // the signature could not be decrypted
	UnableToDecodeIssuerPublicKey                           // the issuer's public key could not be read
	CertificateSignatureFailed                              // the certificate's signature is invalid
	CertificateNotYetValid                                  // the certificate is not yet valid
	CertificateExpired                                      // the certificate has expired
	InvalidNotBeforeField                                   // the notBefore field is invalid
	InvalidNotAfterField                                    // the notAfter field is invalid
	SelfSignedCertificate                                   // the peer's own certificate is self-signed and untrusted
	SelfSignedCertificateInChain                            // the chain's root is self-signed and untrusted
	UnableToGetLocalIssuerCertificate                       // no issuer found for a certificate of the chain
	UnableToVerifyFirstCertificate                          // the single certificate sent could not be verified
	CertificateRevoked                                      // the certificate has been revoked
	InvalidCaCertificate                                    // a CA certificate of the chain is not a CA
	PathLengthExceeded                                      // a CA's basicConstraints path length is exceeded
	InvalidPurpose                                          // the certificate is not for TLS servers (or clients)
	CertificateUntrusted                                    // the root CA is not trusted for this purpose
	CertificateRejected                                     // the root CA rejects this purpose
	SubjectIssuerMismatch                                   // the issuer's subject does not match
	AuthorityIssuerSerialNumberMismatch                     // the authority key identifier does not match
	NoPeerCertificate                                       // the peer sent no certificate
	HostNameMismatch                                        // the certificate does not name the host
	NoSslSupport                                            // no TLS support
	CertificateBlacklisted                                  // the certificate is blacklisted
	CertificateStatusUnknown                                // the revocation status is unknown
	OcspNoResponseFound                                     // OCSP: no status response
	OcspMalformedRequest                                    // OCSP: malformed request
	OcspMalformedResponse                                   // OCSP: malformed response
	OcspInternalError                                       // OCSP: responder internal error
	OcspTryLater                                            // OCSP: try later
	OcspSigRequred                                          // OCSP: the request must be signed
	OcspUnauthorized                                        // OCSP: not authorized
	OcspResponseCannotBeTrusted                             // OCSP: responder not trusted
	OcspResponseCertIdUnknown                               // OCSP: certificate identity unknown
	OcspResponseExpired                                     // OCSP: response expired
	OcspStatusUnknown                                       // OCSP: status unknown

	UnspecifiedError SslErrorCode = -1 // any other error
)

var sslErrorCodeNames = [...]string{
	"NoError", "UnableToGetIssuerCertificate", "UnableToDecryptCertificateSignature",
	"UnableToDecodeIssuerPublicKey", "CertificateSignatureFailed", "CertificateNotYetValid",
	"CertificateExpired", "InvalidNotBeforeField", "InvalidNotAfterField",
	"SelfSignedCertificate", "SelfSignedCertificateInChain", "UnableToGetLocalIssuerCertificate",
	"UnableToVerifyFirstCertificate", "CertificateRevoked", "InvalidCaCertificate",
	"PathLengthExceeded", "InvalidPurpose", "CertificateUntrusted", "CertificateRejected",
	"SubjectIssuerMismatch", "AuthorityIssuerSerialNumberMismatch", "NoPeerCertificate",
	"HostNameMismatch", "NoSslSupport", "CertificateBlacklisted", "CertificateStatusUnknown",
	"OcspNoResponseFound", "OcspMalformedRequest", "OcspMalformedResponse", "OcspInternalError",
	"OcspTryLater", "OcspSigRequred", "OcspUnauthorized", "OcspResponseCannotBeTrusted",
	"OcspResponseCertIdUnknown", "OcspResponseExpired", "OcspStatusUnknown",
}

// String returns the Qt name of the code, or "SslErrorCode(N)".
func (c SslErrorCode) String() string {
	if c == UnspecifiedError {
		return "UnspecifiedError"
	}
	if c >= 0 && int(c) < len(sslErrorCodeNames) {
		return sslErrorCodeNames[c]
	}
	return "SslErrorCode(" + strconv.Itoa(int(c)) + ")"
}

// sslErrorTexts are the texts of QSslError::errorString() in Qt 6.4.2, by
// code, as a Qt program printed them. Qt has no text of its own for
// CertificateRevoked and CertificateStatusUnknown (they read "Unknown
// error", as every value Qt does not know does) and an empty one for
// NoSslSupport.
var sslErrorTexts = [...]string{
	NoError:                             "No error",
	UnableToGetIssuerCertificate:        "The issuer certificate could not be found",
	UnableToDecryptCertificateSignature: "The certificate signature could not be decrypted",
	UnableToDecodeIssuerPublicKey:       "The public key in the certificate could not be read",
	CertificateSignatureFailed:          "The signature of the certificate is invalid",
	CertificateNotYetValid:              "The certificate is not yet valid",
	CertificateExpired:                  "The certificate has expired",
	InvalidNotBeforeField:               "The certificate's notBefore field contains an invalid time",
	InvalidNotAfterField:                "The certificate's notAfter field contains an invalid time",
	SelfSignedCertificate:               "The certificate is self-signed, and untrusted",
	SelfSignedCertificateInChain:        "The root certificate of the certificate chain is self-signed, and untrusted",
	UnableToGetLocalIssuerCertificate:   "The issuer certificate of a locally looked up certificate could not be found",
	UnableToVerifyFirstCertificate:      "No certificates could be verified",
	CertificateRevoked:                  "Unknown error",
	InvalidCaCertificate:                "One of the CA certificates is invalid",
	PathLengthExceeded:                  "The basicConstraints path length parameter has been exceeded",
	InvalidPurpose:                      "The supplied certificate is unsuitable for this purpose",
	CertificateUntrusted:                "The root CA certificate is not trusted for this purpose",
	CertificateRejected:                 "The root CA certificate is marked to reject the specified purpose",
	SubjectIssuerMismatch: "The current candidate issuer certificate was rejected because its" +
		" subject name did not match the issuer name of the current certificate",
	AuthorityIssuerSerialNumberMismatch: "The current candidate issuer certificate was rejected because" +
		" its issuer name and serial number was present and did not match the" +
		" authority key identifier of the current certificate",
	NoPeerCertificate:           "The peer did not present any certificate",
	HostNameMismatch:            "The host name did not match any of the valid hosts for this certificate",
	NoSslSupport:                "",
	CertificateBlacklisted:      "The peer certificate is blacklisted",
	CertificateStatusUnknown:    "Unknown error",
	OcspNoResponseFound:         "No OCSP status response found",
	OcspMalformedRequest:        "The OCSP status request had invalid syntax",
	OcspMalformedResponse:       "OCSP response contains an unexpected number of SingleResponse structures",
	OcspInternalError:           "OCSP responder reached an inconsistent internal state",
	OcspTryLater:                "OCSP responder was unable to return a status for the requested certificate",
	OcspSigRequred:              "The server requires the client to sign the OCSP request in order to construct a response",
	OcspUnauthorized:            "The client is not authorized to request OCSP status from this server",
	OcspResponseCannotBeTrusted: "OCSP responder's identity cannot be verified",
	OcspResponseCertIdUnknown:   "The identity of a certificate in an OCSP response cannot be established",
	OcspResponseExpired:         "The certificate status response has expired",
	OcspStatusUnknown:           "The certificate's status is unknown",
}

// SslError is QSslError: one certificate verification error, with its
// code, the certificate it concerns, and the Go error behind it. It is a
// Go error whose text is Qt's errorString(), so QSslError::error() is
// Code() here (docs/porting.md). The zero value is QSslError(): NoError
// and no certificate. SslError values are compared with Equal.
type SslError struct {
	code        SslErrorCode
	certificate *x509.Certificate
	err         error
}

// NewSslError returns an error with code and, if given, the certificate it
// concerns (QSslError(error) and QSslError(error, certificate)).
func NewSslError(code SslErrorCode, certificate ...*x509.Certificate) SslError {
	var c *x509.Certificate
	if len(certificate) > 0 {
		c = certificate[0]
	}
	return SslError{code: code, certificate: c}
}

// newSslError is NewSslError with the Go error that Unwrap returns.
func newSslError(code SslErrorCode, certificate *x509.Certificate, err error) SslError {
	return SslError{code: code, certificate: certificate, err: err}
}

// Code returns the kind of error (QSslError::error()).
func (e SslError) Code() SslErrorCode { return e.code }

// ErrorString returns Qt's description of the code, for example "The
// certificate is self-signed, and untrusted" (QSslError::errorString()).
// A code Qt does not know reads "Unknown error", as in Qt.
func (e SslError) ErrorString() string {
	if e.code >= 0 && int(e.code) < len(sslErrorTexts) {
		return sslErrorTexts[e.code]
	}
	return "Unknown error"
}

// Error returns ErrorString(), so that an SslError is a Go error whose text
// is Qt's (what qDebug prints for a QSslError).
func (e SslError) Error() string { return e.ErrorString() }

// Certificate returns the certificate the error concerns, or nil
// (QSslError::certificate(), whose null certificate is nil here).
func (e SslError) Certificate() *x509.Certificate { return e.certificate }

// Unwrap returns the Go error behind this one, for errors.Is and
// errors.As: crypto/x509's x509.UnknownAuthorityError,
// x509.CertificateInvalidError, x509.HostnameError and so on. It is nil
// for an error made with NewSslError and for NoPeerCertificate.
func (e SslError) Unwrap() error { return e.err }

// Equal reports whether e and other have the same code and the same
// certificate, as QSslError's operator== does (both without a certificate
// counts as the same). The Go errors behind them are not compared.
func (e SslError) Equal(other SslError) bool {
	if e.code != other.code {
		return false
	}
	if e.certificate == nil || other.certificate == nil {
		return e.certificate == other.certificate
	}
	return e.certificate.Equal(other.certificate)
}
