//! Drives inputs through a per-line function in parallel: reads each input in large
//! blocks cut at line ends (a plain local file is mapped and cut in place, anything else
//! streamed through reused buffers), hands batches of blocks to rayon, and gives the
//! results back in input order, so output never depends on the thread count.
//!
//! It knows lines and their numbers, not what a line means: the caller's function
//! parses and classifies.

use std::io::Read;
use std::ops::{Deref, Range};
use std::sync::Arc;

use memmap2::Mmap;
use rayon::prelude::*;

use crate::hashing::Background;
use crate::output::run::InputDigest;
use crate::source::{local, Input, Opened, SourceError};

/// Whole lines from one input, starting at line `first_line` (1-based).
pub struct Block {
    pub input: usize,
    pub first_line: u64,
    /// How many lines `data` holds, counted once when the block is cut.
    pub line_count: u64,
    pub data: Data,
}

/// A block's bytes: read into a buffer of its own, or a range of a mapped local file.
pub enum Data {
    Read(Vec<u8>),
    Mapped(Arc<MappedRange>),
}

impl Deref for Data {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Data::Read(buffer) => buffer,
            Data::Mapped(range) => range,
        }
    }
}

/// Part of a mapped file, shared by its block and the hashing thread: its pages are
/// released when the last of them is done with it.
pub struct MappedRange {
    map: Arc<Mmap>,
    range: Range<usize>,
}

impl Deref for MappedRange {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map[self.range.clone()]
    }
}

impl AsRef<[u8]> for MappedRange {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Drop for MappedRange {
    fn drop(&mut self) {
        release(&self.map, self.range.clone());
    }
}

impl From<Vec<u8>> for Data {
    fn from(buffer: Vec<u8>) -> Data {
        Data::Read(buffer)
    }
}

impl Block {
    /// Each line with its number; a final line without `\n` is a line, a final `\n`
    /// does not start one.
    pub fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let data = &self.data[..];
        // Line ends found with memchr (SIMD), not byte by byte.
        let ends = memchr::memchr_iter(b'\n', data)
            .chain((!data.ends_with(b"\n") && !data.is_empty()).then_some(data.len()));
        let mut start = 0;
        ends.map(move |end| {
            let line = &data[start..end];
            start = end + 1;
            line
        })
        .zip(self.first_line..)
        .map(|(l, n)| (n, l))
    }
}

/// Reads into `buf` after its first `filled` bytes until it is full or the input ends;
/// returns how much of it is filled.
fn read_into(opened: &mut Opened, buf: &mut [u8], mut filled: usize) -> Result<usize, SourceError> {
    while filled < buf.len() {
        match opened.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SourceError::new(opened.name(), "cannot read", e)),
        }
    }
    Ok(filled)
}

fn count_lines(data: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', data).count() as u64;
    newlines + u64::from(!data.is_empty() && !data.ends_with(b"\n"))
}

/// 1 MiB: against 4 MiB, reqtrace deps ran about 4% faster in 15% less memory (finer
/// batches for the pool) and the repair job's scan and plan ran the same (bench data).
const BLOCK: usize = 1 << 20;
const BATCH_BYTES: usize = 16 << 20;
/// Blocks held back at most: reused buffers kept, and mapped blocks sent to the hashing
/// thread but not yet hashed (two batches' worth).
const BACKLOG: usize = 2 * BATCH_BYTES / BLOCK;

/// Progress callback: stored bytes read so far across inputs, lines so far.
pub trait Progress: Sync {
    fn advance(&self, lines: u64, decoded_bytes: u64);
}

impl Progress for () {
    fn advance(&self, _: u64, _: u64) {}
}

/// Runs `process` over every block of every input, in parallel, and feeds the
/// results to `consume` in input and line order. Returns each input's digest (with its
/// SHA-256 when `hash`).
///
/// A line longer than `longest` bytes may reach `process` cut, but never to `longest`
/// bytes or fewer (it stays one line, counted), so one endless line cannot take the
/// memory and callers can treat every line over `longest` alike.
pub fn run<T, P, C>(
    inputs: &[Input],
    hash: bool,
    longest: usize,
    progress: &dyn Progress,
    process: P,
    mut consume: C,
) -> anyhow::Result<Vec<InputDigest>>
where
    T: Send,
    P: Fn(&Block) -> T + Sync,
    C: FnMut(T) -> anyhow::Result<()>,
{
    let mut reader = Reader::new(inputs, hash, longest);
    let mut batch = reader.next_batch()?;
    let mut processed: Vec<T> = Vec::new();
    while !batch.is_empty() {
        // The pool processes one batch while this thread consumes the one before and
        // reads the next: consuming is serial, and would otherwise leave a core idle.
        let (results, consumed, next) = std::thread::scope(|scope| {
            let work = scope.spawn(|| batch.par_iter().map(&process).collect::<Vec<T>>());
            let consumed = processed.drain(..).try_for_each(&mut consume);
            let next = consumed.is_ok().then(|| reader.next_batch());
            let results = work
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (results, consumed, next)
        });
        consumed?;
        for block in &batch {
            progress.advance(block.line_count, block.data.len() as u64);
        }
        processed = results;
        let done = std::mem::replace(&mut batch, next.unwrap_or_else(|| Ok(Vec::new()))?);
        reader.recycle(done);
    }
    processed.into_iter().try_for_each(&mut consume)?;
    Ok(reader.finish())
}

/// Unmaps the pages of a mapped range no one reads any more (they stay in the page cache,
/// so nothing is read again): otherwise a mapped file counts whole in the memory of the
/// process until its last block is done. Only the pages wholly inside the range, at a
/// 64 KiB grain, the largest common page size, so no neighbour's page is touched on any
/// system.
#[cfg(unix)]
fn release(map: &Mmap, range: Range<usize>) {
    const GRAIN: usize = 64 << 10;
    let (start, end) = (range.start.next_multiple_of(GRAIN), range.end / GRAIN * GRAIN);
    if start < end {
        // SAFETY: the mapping is shared and read-only, so a released page that is read
        // again is faulted back in from the file with the same bytes; and whoever
        // borrowed these bytes (a block, the hashing thread) is done with them. An error
        // only leaves the pages mapped.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
    }
}

#[cfg(not(unix))]
fn release(_: &Mmap, _: Range<usize>) {}

/// The input being read: streamed (S3, gzip, pipes) or mapped (plain local files).
enum Open {
    Stream(Opened),
    Mapped(Mapped),
}

/// A mapped input, cut into blocks in place.
struct Mapped {
    name: String,
    map: Arc<Mmap>,
    /// Where the next block starts.
    pos: usize,
}

impl Mapped {
    /// Part of the file, to share between a block and the hashing thread.
    fn range(&self, range: Range<usize>) -> Arc<MappedRange> {
        Arc::new(MappedRange {
            map: Arc::clone(&self.map),
            range,
        })
    }

    /// A line from `start` longer than a block: how much of it to keep (cut past
    /// `longest`, as [`Reader::fill`] cuts) and where the next line starts. Its end is
    /// searched a block at a time and what is not kept released as it is passed, so one
    /// endless line costs time, not memory.
    fn long_line(&self, start: usize, longest: usize) -> (usize, usize) {
        let (len, keep) = (self.map.len(), (start + longest + 1).min(self.map.len()));
        let mut at = start;
        loop {
            let step = at..(at + BLOCK).min(len);
            let newline = memchr::memchr(b'\n', &self.map[step.clone()]);
            at = newline.map_or(step.end, |i| at + i + 1);
            release(&self.map, keep.max(step.start)..at);
            if newline.is_some() || at == len {
                return (at.min(keep), at);
            }
        }
    }

    /// Sends `range` to be hashed a block at a time, each piece released once hashed.
    fn hash(&self, hashing: &Background, range: Range<usize>) {
        for from in range.clone().step_by(BLOCK) {
            hashing.add(self.range(from..(from + BLOCK).min(range.end)));
        }
    }
}

struct Reader<'a> {
    inputs: &'a [Input],
    hash: bool,
    next: usize,
    /// The input's index, the input, and the number of its next block's first line.
    open: Option<(usize, Open, u64)>,
    carry: Vec<u8>,
    longest: usize,
    /// The carry is the head of an over-long line whose rest is being skipped.
    cutting: bool,
    digests: Vec<InputDigest>,
    /// Hashes mapped inputs, when asked to hash; started with the first of them.
    hashing: Option<Background>,
    /// Which of `digests` wait for their SHA-256 from `hashing`, in order.
    hashed_later: Vec<usize>,
    /// Buffers of blocks already processed, to read the next blocks into.
    free: Vec<Vec<u8>>,
}

impl<'a> Reader<'a> {
    fn new(inputs: &'a [Input], hash: bool, longest: usize) -> Reader<'a> {
        Reader {
            inputs,
            hash,
            next: 0,
            open: None,
            carry: Vec::new(),
            longest,
            cutting: false,
            digests: Vec::with_capacity(inputs.len()),
            hashing: None,
            hashed_later: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Every input's digest, once the last is hashed.
    fn finish(mut self) -> Vec<InputDigest> {
        let hashed = self.hashing.take().map(Background::finish).unwrap_or_default();
        for (i, sha256) in self.hashed_later.into_iter().zip(hashed) {
            self.digests[i].sha256 = sha256;
        }
        self.digests
    }

    /// Keeps the buffers of a processed batch for the next blocks (two batches' worth at
    /// most): a fresh buffer costs page faults and a reused one none. A mapped block's
    /// pages are released instead, once hashed.
    fn recycle(&mut self, batch: Vec<Block>) {
        for block in batch {
            if let Data::Read(buffer) = block.data {
                if self.free.len() < BACKLOG {
                    self.free.push(buffer);
                }
            }
        }
    }

    fn next_batch(&mut self) -> Result<Vec<Block>, SourceError> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while bytes < BATCH_BYTES {
            match self.next_block()? {
                Some(block) => {
                    bytes += block.data.len();
                    batch.push(block);
                }
                None => break,
            }
        }
        Ok(batch)
    }

    /// The next block of whole lines, or `None` when every input is read.
    fn next_block(&mut self) -> Result<Option<Block>, SourceError> {
        loop {
            if self.open.is_none() {
                if self.next == self.inputs.len() {
                    return Ok(None);
                }
                let open = self.open_next()?;
                self.open = Some((self.next, open, 1));
                self.next += 1;
            }
            let block = match self.open {
                Some((_, Open::Mapped(_), _)) => self.cut(),
                _ => self.fill()?,
            };
            if let Some(block) = block {
                if let Some((_, _, first_line)) = self.open.as_mut() {
                    *first_line += block.line_count;
                }
                return Ok(Some(block));
            }
        }
    }

    fn open_next(&mut self) -> Result<Open, SourceError> {
        let input = &self.inputs[self.next];
        let map = match input {
            Input::Local(path) => local::map(path)?,
            Input::S3(_) => None,
        };
        Ok(match map {
            Some(map) => {
                if self.hash && self.hashing.is_none() {
                    let started = Background::new(BACKLOG);
                    self.hashing =
                        Some(started.map_err(|e| SourceError::new(input.name(), "cannot hash", e))?);
                }
                Open::Mapped(Mapped {
                    name: input.name(),
                    map: Arc::new(map),
                    pos: 0,
                })
            }
            None => Open::Stream(Opened::open(input, self.hash)?),
        })
    }

    /// The next block of a mapped input: whole lines up to [`BLOCK`] bytes, or one longer
    /// line (cut past `longest`, as [`Reader::fill`] cuts); at its end, closes it.
    fn cut(&mut self) -> Option<Block> {
        let Some((input, Open::Mapped(mapped), first_line)) = self.open.as_mut() else {
            return None;
        };
        let (start, len) = (mapped.pos, mapped.map.len());
        let window_end = (start + BLOCK).min(len);
        let hashing = self.hashing.as_ref();
        let line_end = if window_end == len {
            Some(len)
        } else {
            memchr::memrchr(b'\n', &mapped.map[start..window_end]).map(|i| start + i + 1)
        };
        let (end, next) = match line_end {
            Some(end) => (end, end),
            None => mapped.long_line(start, self.longest),
        };
        mapped.pos = next;
        let data = mapped.range(start..end);
        if let Some(hashing) = hashing {
            // Every byte, a cut line's skipped tail too, so the digest is the file's.
            hashing.add(data.clone());
            mapped.hash(hashing, end..next);
        }
        let block = (end > start).then(|| Block {
            input: *input,
            first_line: *first_line,
            line_count: count_lines(&data),
            data: Data::Mapped(data),
        });
        if next == len {
            if let Some((_, Open::Mapped(mapped), _)) = self.open.take() {
                if let Some(hashing) = hashing {
                    hashing.end_input();
                    self.hashed_later.push(self.digests.len());
                }
                self.digests.push(InputDigest {
                    path: mapped.name,
                    bytes: len as u64,
                    sha256: String::new(),
                });
            }
        }
        block
    }

    /// Reads from the open input until a block ends at a line end; at the end of
    /// the input, returns what is left (if anything) and closes it.
    fn fill(&mut self) -> Result<Option<Block>, SourceError> {
        let Some((input, Open::Stream(opened), first_line)) = self.open.as_mut() else {
            return Ok(None);
        };
        let carry = std::mem::take(&mut self.carry);
        let kept = carry.len();
        let want = BLOCK.max(kept * 2);
        let mut data = self.free.pop().unwrap_or_default();
        // A reused buffer is still initialised up to its last block's length, so this
        // zero-fills only what lies beyond (`read` needs initialised bytes): filling a
        // whole fresh buffer each block was about 6% of `deps`' CPU, on this thread.
        data.resize(want.max(data.len()), 0);
        data[..kept].copy_from_slice(&carry);
        let filled = read_into(opened, &mut data[..want], kept)?;
        data.truncate(filled);
        let eof = filled < want;
        if eof {
            data.shrink_to_fit();
        }
        let (input, start_line) = (*input, *first_line);
        if self.cutting {
            match memchr::memchr(b'\n', &data[kept..]) {
                Some(i) => {
                    data.drain(kept..kept + i);
                    self.cutting = false;
                }
                None => data.truncate(kept),
            }
        }
        if !eof {
            match memchr::memrchr(b'\n', &data) {
                Some(end) => self.carry = data.split_off(end + 1),
                None => {
                    // One line longer than the block: keep reading it, or only its end
                    // once it is too long to keep.
                    if data.len() > self.longest {
                        data.truncate(self.longest + 1);
                        self.cutting = true;
                    }
                    self.carry = data;
                    return Ok(None);
                }
            }
        } else if let Some((_, Open::Stream(opened), _)) = self.open.take() {
            // An over-long line at the very end is cut here: the next input starts afresh.
            self.cutting = false;
            self.digests.push(opened.finish()?);
        }
        let block = Block {
            input,
            first_line: start_line,
            line_count: count_lines(&data),
            data: Data::Read(data),
        };
        Ok((!block.data.is_empty()).then_some(block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn blocks_split_into_numbered_lines() {
        let lines = |data: &[u8]| {
            let b = Block {
                input: 0,
                first_line: 7,
                line_count: 0,
                data: data.to_vec().into(),
            };
            b.lines().map(|(n, l)| (n, l.to_vec())).collect::<Vec<_>>()
        };
        let v = |items: &[(u64, &str)]| {
            items
                .iter()
                .map(|&(n, l)| (n, l.as_bytes().to_vec()))
                .collect::<Vec<_>>()
        };
        assert_eq!(lines(b"a\n\nb"), v(&[(7, "a"), (8, ""), (9, "b")]));
        assert_eq!(lines(b"a\n"), v(&[(7, "a")]));
        assert_eq!(lines(b"\n"), v(&[(7, "")]));
        assert_eq!(lines(b""), v(&[]));
    }

    fn lines_of(inputs: &[Input]) -> Vec<(usize, u64, String)> {
        read_all(inputs, false).0
    }

    fn read_all(inputs: &[Input], hash: bool) -> (Vec<(usize, u64, String)>, Vec<InputDigest>) {
        let mut out = Vec::new();
        let digests = run(
            inputs,
            hash,
            BLOCK,
            &(),
            |b: &Block| {
                b.lines()
                    .map(|(n, l)| (b.input, n, String::from_utf8_lossy(l).into_owned()))
                    .collect::<Vec<_>>()
            },
            |v| {
                out.extend(v);
                Ok(())
            },
        )
        .unwrap();
        (out, digests)
    }

    /// How an input is stored: each test runs on both, as both are read differently
    /// (a plain file is mapped and cut in place, a gzip one streamed through buffers).
    type Store = fn(&tempfile::TempDir, &str, &[u8]) -> Input;
    const STORES: [Store; 2] = [file, gzip];

    fn file(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> Input {
        let path: PathBuf = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        Input::Local(path)
    }

    fn gzip(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> Input {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(content).unwrap();
        file(dir, name, &encoder.finish().unwrap())
    }

    #[test]
    fn lines_are_numbered_per_input_and_in_order() {
        for store in STORES {
            let dir = tempfile::tempdir().unwrap();
            let a = store(&dir, "a", b"a1\na2\n\na4");
            let b = store(&dir, "b", b"");
            let c = store(&dir, "c", b"c1\n");
            let got = lines_of(&[a, b, c]);
            let want: Vec<(usize, u64, String)> = vec![
                (0, 1, "a1".into()),
                (0, 2, "a2".into()),
                (0, 3, "".into()),
                (0, 4, "a4".into()),
                (2, 1, "c1".into()),
            ];
            assert_eq!(got, want);
        }
    }

    /// Numbered lines, a line two blocks long, and a last line with no `\n`.
    fn many_blocks() -> (Vec<u8>, usize) {
        let mut content = Vec::new();
        let n = 2 * BLOCK / 20 + 7;
        for i in 0..n {
            content.extend_from_slice(format!("line number {i:07}\n").as_bytes());
        }
        content.extend_from_slice(&vec![b'x'; BLOCK * 2 + 3]);
        content.extend_from_slice(b"\nlast");
        (content, n)
    }

    #[test]
    fn blocks_cut_at_line_ends_across_many_blocks() {
        let (content, n) = many_blocks();
        for store in STORES {
            let dir = tempfile::tempdir().unwrap();
            let got = lines_of(&[store(&dir, "big", &content)]);
            assert_eq!(got.len(), n + 2);
            for (i, (_, line, text)) in got.iter().take(n).enumerate() {
                assert_eq!(*line, i as u64 + 1);
                assert_eq!(text, &format!("line number {i:07}"));
            }
            assert_eq!(
                got[n].2.len(),
                BLOCK + 1,
                "cut to the longest line kept, plus one byte"
            );
            assert_eq!(got[n + 1], (0, n as u64 + 2, "last".into()));
        }
    }

    #[test]
    fn digests_cover_every_stored_byte_cut_lines_too() {
        use sha2::{Digest, Sha256};
        let (content, _) = many_blocks();
        for store in STORES {
            let dir = tempfile::tempdir().unwrap();
            let input = store(&dir, "big", &content);
            let Input::Local(path) = &input else {
                unreachable!()
            };
            let stored = std::fs::read(path).unwrap();
            let (_, digests) = read_all(std::slice::from_ref(&input), true);
            assert_eq!(digests.len(), 1);
            assert_eq!(digests[0].bytes, stored.len() as u64);
            assert_eq!(digests[0].sha256, hex::encode(Sha256::digest(&stored)));
        }
    }

    #[test]
    fn each_input_gets_its_own_digest_when_mapped_and_streamed_inputs_mix() {
        use sha2::{Digest, Sha256};
        let dir = tempfile::tempdir().unwrap();
        let inputs = [
            file(&dir, "a", b"first\n"),
            gzip(&dir, "b", b"second\n"),
            file(&dir, "c", b""),
            file(&dir, "d", b"fourth\nlast"),
        ];
        let (_, digests) = read_all(&inputs, true);
        let want: Vec<String> = inputs
            .iter()
            .map(|input| {
                let Input::Local(path) = input else { unreachable!() };
                hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
            })
            .collect();
        let got: Vec<String> = digests.into_iter().map(|d| d.sha256).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn reused_buffers_hold_only_their_own_blocks_lines() {
        // Two batches' worth per big input, so later blocks (and the short input between
        // them) are read into buffers that held longer blocks; line lengths vary so that
        // every block ends somewhere else. Stored every way, and mixed.
        let line = |i: usize| format!("{i}:{}", "y".repeat(i % 97));
        let n = 2 * BATCH_BYTES / 52;
        let big: String = (0..n).map(|i| line(i) + "\n").collect();
        for (first, middle) in [(file as Store, file as Store), (gzip, gzip), (gzip, file)] {
            let dir = tempfile::tempdir().unwrap();
            let inputs = [
                first(&dir, "a", big.as_bytes()),
                middle(&dir, "b", b"short\nlast"),
                first(&dir, "c", big.as_bytes()),
            ];
            let got = lines_of(&inputs);
            let of_big = |input| (0..n).map(move |i| (input, i as u64 + 1, line(i)));
            let short = [(1, 1, "short".to_string()), (1, 2, "last".to_string())];
            let want: Vec<_> = of_big(0).chain(short).chain(of_big(2)).collect();
            assert_eq!(got.len(), want.len());
            assert!(got == want, "a line differs from what its input holds");
        }
    }

    #[test]
    fn a_cut_line_ending_an_input_takes_nothing_from_the_next() {
        for store in STORES {
            let dir = tempfile::tempdir().unwrap();
            let endless = store(&dir, "a", &vec![b'x'; BLOCK * 3]);
            let next = store(&dir, "b", b"first\nsecond\n");
            let got = lines_of(&[endless, next]);
            let got: Vec<_> = got.iter().map(|(i, n, l)| (*i, *n, l.len())).collect();
            assert_eq!(got, [(0, 1, BLOCK + 1), (1, 1, 5), (1, 2, 6)]);
        }
    }
}
