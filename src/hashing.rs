//! Counting and SHA-256 hashing of bytes as they pass through a reader or a writer:
//! the digests run.json records of every input and output.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

/// Wraps a reader or writer; counts every byte through it and, when asked, hashes them.
pub struct Hashing<T> {
    inner: T,
    hasher: Option<Sha256>,
    bytes: u64,
}

impl<T> Hashing<T> {
    /// `hash`: also compute the SHA-256 (counting alone is free).
    pub fn new(inner: T, hash: bool) -> Hashing<T> {
        Hashing {
            inner,
            hasher: hash.then(Sha256::new),
            bytes: 0,
        }
    }

    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Bytes passed, and the SHA-256 in hex (empty when not hashing).
    pub fn finish(self) -> (u64, String) {
        let sha256 = self.hasher.map(|h| hex::encode(h.finalize())).unwrap_or_default();
        (self.bytes, sha256)
    }

    fn pass(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.hasher {
            h.update(bytes);
        }
        self.bytes += bytes.len() as u64;
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pass(&buf[..n]);
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pass(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
