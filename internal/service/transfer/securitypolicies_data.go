package transfer

// The catalogue of Transfer Family security policies, as the AWS Transfer
// Family user guide lists them ("Security policies for AWS Transfer Family
// servers", each policy's DescribeSecurityPolicy listing, and "Security
// policies for AWS Transfer Family SFTP connectors", its algorithm table).
// Algorithm order is the order of the guide's listings. Server policies
// report Protocols [SFTP, FTPS] and no SshHostKeyAlgorithms ("This parameter
// only applies to security policies for connectors"); connector policies
// report Protocols [SFTP].
//
// Left out on purpose: TransferSecurityPolicy-Restricted-2024-06 and the
// deprecated TransferSecurityPolicy-PQ-SSH-Experimental-2023-04 /
// TransferSecurityPolicy-PQ-SSH-FIPS-Experimental-2023-04, whose algorithm
// lists the current guide no longer publishes (Ersatz does not invent them).

// policyDef is one security policy of the catalogue.
type policyDef struct {
	Name      string
	Type      string // SERVER or CONNECTOR
	Fips      bool
	Ciphers   []string
	Kexs      []string
	Macs      []string
	HostKeys  []string // connectors only
	TLS       []string // servers only
	Protocols []string
}

// Algorithm names, spelled once.
const (
	chacha   = "chacha20-poly1305@openssh.com"
	aes128   = "aes128-ctr"
	aes192   = "aes192-ctr"
	aes256   = "aes256-ctr"
	aes128gc = "aes128-gcm@openssh.com"
	aes256gc = "aes256-gcm@openssh.com"

	kexC25519    = "curve25519-sha256"
	kexC25519Lib = "curve25519-sha256@libssh.org"
	kexEC256     = "ecdh-sha2-nistp256"
	kexEC384     = "ecdh-sha2-nistp384"
	kexEC521     = "ecdh-sha2-nistp521"
	kexGex256    = "diffie-hellman-group-exchange-sha256"
	kexDH14sha1  = "diffie-hellman-group14-sha1"
	kexDH14      = "diffie-hellman-group14-sha256"
	kexDH16      = "diffie-hellman-group16-sha512"
	kexDH18      = "diffie-hellman-group18-sha512"
	kexMLKEM768X = "mlkem768x25519-sha256"
	kexMLKEM768N = "mlkem768nistp256-sha256"
	kexMLKEM1024 = "mlkem1024nistp384-sha384"

	macUmac64Etm  = "umac-64-etm@openssh.com"
	macUmac128Etm = "umac-128-etm@openssh.com"
	mac256Etm     = "hmac-sha2-256-etm@openssh.com"
	mac512Etm     = "hmac-sha2-512-etm@openssh.com"
	macSha1Etm    = "hmac-sha1-etm@openssh.com"
	macUmac64     = "umac-64@openssh.com"
	macUmac128    = "umac-128@openssh.com"
	mac256        = "hmac-sha2-256"
	mac512        = "hmac-sha2-512"
	macSha1       = "hmac-sha1"
	macSha196     = "hmac-sha1-96"

	hkRSA256   = "rsa-sha2-256"
	hkRSA512   = "rsa-sha2-512"
	hkECDSA256 = "ecdsa-sha2-nistp256"
	hkECDSA384 = "ecdsa-sha2-nistp384"
	hkECDSA521 = "ecdsa-sha2-nistp521"
	hkSSHRSA   = "ssh-rsa"
)

// policyCatalogue returns the catalogue, freshly built (callers may keep or
// change what they get).
func policyCatalogue() []policyDef {
	tls := func() []string {
		return []string{
			"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
			"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
			"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
			"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
		}
	}
	tls2018 := append(tls(), "TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256")
	server := func(name string, fips bool, ciphers, kexs, macs, tlsCiphers []string) policyDef {
		return policyDef{Name: name, Type: "SERVER", Fips: fips, Ciphers: ciphers, Kexs: kexs, Macs: macs,
			TLS: tlsCiphers, Protocols: []string{"SFTP", "FTPS"}}
	}
	connector := func(name string, fips bool, ciphers, kexs, macs, hostKeys []string) policyDef {
		return policyDef{Name: name, Type: "CONNECTOR", Fips: fips, Ciphers: ciphers, Kexs: kexs, Macs: macs,
			HostKeys: hostKeys, Protocols: []string{"SFTP"}}
	}

	kex2018 := []string{kexC25519, kexC25519Lib, kexEC256, kexEC384, kexEC521, kexGex256, kexDH16, kexDH18, kexDH14, kexDH14sha1}
	mac2018 := []string{macUmac64Etm, macUmac128Etm, mac256Etm, mac512Etm, macSha1Etm, macUmac64, macUmac128, mac256, mac512, macSha1}
	kex2020 := []string{kexEC256, kexEC384, kexEC521, kexGex256, kexDH16, kexDH18, kexDH14}
	mac2020 := []string{macUmac128Etm, mac256Etm, mac512Etm, macUmac128, mac256, mac512}
	kex2022 := []string{kexC25519, kexC25519Lib, kexDH16, kexDH18, kexGex256}
	cipher2022 := []string{aes256gc, aes128gc, aes256, aes192}
	cipher2024 := []string{aes128gc, aes256gc, aes128, aes256, aes192}
	kex2025 := []string{kexMLKEM768X, kexMLKEM768N, kexMLKEM1024, kexEC256, kexEC384, kexEC521, kexC25519, kexC25519Lib, kexDH16, kexDH18, kexGex256}
	cipher2025 := []string{aes256gc, aes128gc, aes128, aes256, aes192}
	etm := []string{mac256Etm, mac512Etm}

	return []policyDef{
		server("TransferSecurityPolicy-2018-11", false,
			[]string{chacha, aes128, aes192, aes256, aes128gc, aes256gc}, kex2018, mac2018, tls2018),
		server("TransferSecurityPolicy-Restricted-2018-11", false,
			[]string{aes128, aes192, aes256, aes128gc, aes256gc}, kex2018, mac2018, tls2018),
		server("TransferSecurityPolicy-2020-06", false,
			[]string{chacha, aes128, aes192, aes256, aes128gc, aes256gc}, kex2020, mac2020, tls()),
		server("TransferSecurityPolicy-Restricted-2020-06", false,
			[]string{aes128, aes192, aes256, aes128gc, aes256gc}, kex2020, mac2020, tls()),
		server("TransferSecurityPolicy-2022-03", false,
			cipher2022, kex2022, []string{mac512Etm, mac256Etm, mac512, mac256}, tls()),
		server("TransferSecurityPolicy-2023-05", false,
			cipher2022, kex2022, []string{mac512Etm, mac256Etm}, tls()),
		server("TransferSecurityPolicy-2024-01", false,
			cipher2024, []string{kexEC256, kexEC384, kexEC521, kexC25519, kexC25519Lib, kexDH18, kexDH16, kexGex256}, etm, tls()),
		server("TransferSecurityPolicy-SshAuditCompliant-2025-02", false,
			cipher2024, []string{kexC25519, kexC25519Lib, kexDH18, kexDH16, kexGex256}, etm, tls()),
		server("TransferSecurityPolicy-2025-03", false, cipher2025, kex2025, etm, tls()),
		server("TransferSecurityPolicy-AS2Restricted-2025-07", false, cipher2025, kex2025, etm, tls()),
		server("TransferSecurityPolicy-FIPS-2020-06", true,
			[]string{aes128, aes192, aes256, aes128gc, aes256gc}, kex2020, []string{mac256Etm, mac512Etm, mac256, mac512}, tls()),
		server("TransferSecurityPolicy-FIPS-2023-05", true,
			cipher2022, []string{kexDH16, kexDH18, kexGex256}, etm, tls()),
		server("TransferSecurityPolicy-FIPS-2024-01", true,
			cipher2024, []string{kexEC256, kexEC384, kexEC521, kexDH18, kexDH16, kexGex256}, etm, tls()),
		server("TransferSecurityPolicy-FIPS-2024-05", true,
			cipher2024, []string{kexEC256, kexEC384, kexEC521, kexDH18, kexDH16, kexGex256}, etm, tls()),
		server("TransferSecurityPolicy-FIPS-2025-03", true,
			[]string{aes256gc, aes128gc, aes256, aes192, aes128},
			[]string{kexMLKEM768X, kexMLKEM768N, kexMLKEM1024, kexEC256, kexEC384, kexEC521, kexGex256, kexDH16, kexDH18},
			[]string{mac512Etm, mac256Etm}, tls()),

		connector("TransferSFTPConnectorSecurityPolicy-2023-07", false,
			[]string{aes128, aes128gc, aes192, aes256, aes256gc},
			[]string{kexC25519, kexC25519Lib, kexDH14sha1, kexDH16, kexDH18, kexGex256},
			[]string{mac512Etm, mac256Etm, mac512, mac256, macSha1, macSha196},
			[]string{hkRSA256, hkRSA512, hkECDSA256, hkECDSA384, hkECDSA521, hkSSHRSA}),
		connector("TransferSFTPConnectorSecurityPolicy-2024-03", false,
			[]string{aes128gc, aes192, aes256, aes256gc},
			[]string{kexC25519, kexC25519Lib, kexDH16, kexDH18, kexGex256},
			[]string{mac512Etm, mac256Etm, mac512, mac256},
			[]string{hkRSA256, hkRSA512, hkECDSA256, hkECDSA384, hkECDSA521}),
		connector("TransferSFTPConnectorSecurityPolicy-FIPS-2024-10", true,
			[]string{aes128gc, aes256gc},
			[]string{kexEC256, kexEC384, kexEC521},
			[]string{mac512, mac256},
			[]string{hkRSA256, hkRSA512, hkECDSA256}),
	}
}
