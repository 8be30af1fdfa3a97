//! Counting and SHA-256 hashing of bytes as they pass through a reader or a writer, or
//! on a thread of their own: the digests run.json records of every input and output.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

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

/// Bytes shared with the hashing thread; whatever they hold is let go once both sides
/// are done with them.
pub type Shared = Arc<dyn AsRef<[u8]> + Send + Sync>;

enum Piece {
    Bytes(Shared),
    /// The current input's last piece has been sent.
    End,
}

/// SHA-256 of inputs computed on a thread beside the parse: one input's hash cannot be
/// split, and SHA-256 runs at about 1.1 GB/s here even with the CPU's SHA instructions,
/// so on the reading thread it would hold back every block behind it.
pub struct Background {
    send: SyncSender<Piece>,
    thread: JoinHandle<Vec<String>>,
}

impl Background {
    /// `backlog`: pieces sent but not yet hashed before [`Background::add`] waits.
    pub fn new(backlog: usize) -> io::Result<Background> {
        let (send, receive) = mpsc::sync_channel(backlog);
        let thread = std::thread::Builder::new()
            .name("sha256".into())
            .spawn(move || hash_pieces(&receive))?;
        Ok(Background { send, thread })
    }

    /// The next bytes of the current input.
    pub fn add(&self, bytes: Shared) {
        self.sent(Piece::Bytes(bytes));
    }

    /// Ends the current input; the next bytes start another.
    pub fn end_input(&self) {
        self.sent(Piece::End);
    }

    fn sent(&self, piece: Piece) {
        // The thread only stops when this side hangs up, or by a panic that
        // `finish` passes on: a failed send has nothing to report of its own.
        let _ = self.send.send(piece);
    }

    /// Each ended input's SHA-256 in hex, in the order they ended.
    pub fn finish(self) -> Vec<String> {
        let Background { send, thread } = self;
        drop(send);
        thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

fn hash_pieces(receive: &Receiver<Piece>) -> Vec<String> {
    let mut done = Vec::new();
    let mut hasher = Sha256::new();
    for piece in receive {
        match piece {
            Piece::Bytes(bytes) => hasher.update((*bytes).as_ref()),
            Piece::End => done.push(hex::encode(std::mem::take(&mut hasher).finalize())),
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_hashes_each_input_in_order() {
        let hashing = Background::new(2).unwrap();
        for part in ["ab", "c"] {
            hashing.add(Arc::new(part.as_bytes().to_vec()));
        }
        hashing.end_input();
        hashing.end_input();
        hashing.add(Arc::new(b"xyz".to_vec()));
        hashing.end_input();
        let want = ["abc", "", "xyz"].map(|s| hex::encode(Sha256::digest(s)));
        assert_eq!(hashing.finish(), want);
    }
}
