// Node 22 has WebCrypto built in; fhirclient only falls back to this module when globalThis.crypto is missing.
module.exports = { default: globalThis.crypto };
