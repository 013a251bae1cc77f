//! The device side of one run of the script: answers its requests line
//! by line, checks the device, and keeps one [`Record`] per scenario.

use std::io::Write as _;
use std::path::Path;
use std::process::{ChildStdin, ExitStatus};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rfc2217_device::PtyPair;
use serialport::TTYPort;

use super::payloads::Payloads;
use super::process_io::tail;
use super::protocol::{parse_line, Request};
use super::settings::check_settings;
use super::transfers::{FromDevice, ToDevice, Transfer};
use crate::device;
use crate::termios;

/// At the end of a scenario, whatever reaches the device within this is
/// collected: nothing should.
const QUIET: Duration = Duration::from_millis(50);

/// What happened in one scenario.
#[derive(Debug, Default)]
pub(super) struct Record {
    started: bool,
    ended: bool,
    /// Every failed check; none for a pass.
    pub(super) failures: Vec<String>,
    /// Quirks and notes, for the report.
    pub(super) observations: Vec<String>,
    /// The data scenarios' timings.
    pub(super) timings: Vec<String>,
}

impl Record {
    /// A record that failed with `reason` before it could begin.
    pub(super) fn failing(reason: &str) -> Record {
        Record {
            failures: vec![reason.to_owned()],
            ..Record::default()
        }
    }
}

/// The device side of a run: answers the script's requests.
pub(super) struct Driver<'a> {
    far_end: TTYPort,
    path: &'a str,
    payloads: &'a Payloads,
    /// Where the script puts what it read in `data-from-device`.
    received: &'a Path,
    /// The scenarios, in the order the script runs them.
    scenarios: Vec<&'static str>,
    /// One per scenario.
    records: Vec<Record>,
    /// The scenario running now, as an index into `scenarios`.
    current: Option<usize>,
    /// What the client said it does now.
    step: String,
    /// Failures outside any scenario: they go to every cell.
    stray: Vec<String>,
    transfer: Option<Transfer>,
}

impl<'a> Driver<'a> {
    /// A driver for the device of `pair`, with `payloads`; the script puts
    /// what it reads in `received`.
    pub(super) fn new(
        pair: &'a PtyPair,
        payloads: &'a Payloads,
        received: &'a Path,
    ) -> Result<Driver<'a>, String> {
        let scenarios = super::scenarios();
        let far_end = pair
            .far_end
            .try_clone_native()
            .map_err(|error| format!("cannot share the pty's far end: {error}"))?;
        Ok(Driver {
            far_end,
            path: pair.path(),
            payloads,
            received,
            records: scenarios.iter().map(|_| Record::default()).collect(),
            scenarios,
            current: None,
            step: String::new(),
            stray: Vec::new(),
            transfer: None,
        })
    }

    /// Answers the script's lines until it stops talking or `deadline`
    /// passes; returns whether the deadline passed.
    pub(super) fn converse(
        &mut self,
        lines: &Receiver<String>,
        mut stdin: ChildStdin,
        deadline: Instant,
    ) -> bool {
        loop {
            match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let answer = self.handle(&line);
                    if writeln!(stdin, "{answer}")
                        .and_then(|()| stdin.flush())
                        .is_err()
                    {
                        return false;
                    }
                }
                Err(RecvTimeoutError::Timeout) => return true,
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Carries out one request; returns the answer line.
    fn handle(&mut self, line: &str) -> String {
        let result = match parse_line(line) {
            Ok(Request::Scenario(name)) => self.begin(&name),
            Ok(Request::Step(text)) => {
                self.step = text;
                Ok(())
            }
            Ok(Request::Failed(text)) => {
                self.fail(&text);
                return "ok".to_owned();
            }
            Ok(Request::Note(text)) => {
                self.observe(text);
                Ok(())
            }
            Ok(Request::Expect(expected)) => {
                termios::read(self.path).and_then(|termios| check_settings(&termios, &expected))
            }
            Ok(Request::ToDevice(len)) => self.start_to_device(len),
            Ok(Request::Written) => self.finish_to_device(),
            Ok(Request::FromDevice(len)) => self.start_from_device(len),
            Ok(Request::Read) => self.finish_from_device(),
            Ok(Request::End(name)) => self.end(&name),
            Err(error) => Err(format!("the client script said {line:?}: {error}")),
        };
        match result {
            Ok(()) => "ok".to_owned(),
            Err(text) => {
                self.fail(&text);
                format!("fail {}", text.replace('\n', " "))
            }
        }
    }

    fn fail(&mut self, text: &str) {
        let text = match self.step.as_str() {
            "" => text.to_owned(),
            step => format!("{step}: {text}"),
        };
        match self.current {
            Some(index) => self.records[index].failures.push(text),
            None => self.stray.push(text),
        }
    }

    fn observe(&mut self, text: String) {
        match self.current {
            Some(index) => self.records[index].observations.push(text),
            None => self
                .stray
                .push(format!("observed outside any scenario: {text}")),
        }
    }

    fn time(&mut self, timing: String) {
        match self.current {
            Some(index) => self.records[index].timings.push(timing),
            None => self.observe(timing),
        }
    }

    fn begin(&mut self, name: &str) -> Result<(), String> {
        if let Some(index) = self.current {
            return Err(format!(
                "scenario {name} began inside {}",
                self.scenarios[index]
            ));
        }
        let index = self
            .scenarios
            .iter()
            .position(|scenario| *scenario == name)
            .ok_or_else(|| format!("unknown scenario {name:?}"))?;
        let record = &mut self.records[index];
        if record.started {
            return Err(format!("scenario {name} ran twice"));
        }
        record.started = true;
        self.current = Some(index);
        self.step.clear();
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<(), String> {
        let Some(index) = self.current.filter(|&index| self.scenarios[index] == name) else {
            return Err(format!("scenario {name} ended but had not begun"));
        };
        self.step.clear();
        let result = match (
            self.transfer.take(),
            device::drain(&mut self.far_end, QUIET),
        ) {
            (Some(_), _) => Err("a transfer was left unfinished".to_owned()),
            (None, stray) if stray.is_empty() => Ok(()),
            (None, stray) => Err(format!(
                "{} bytes the client did not write reached the device: {}",
                stray.len(),
                device::hex(&stray)
            )),
        };
        if let Err(text) = &result {
            self.fail(text);
        }
        self.records[index].ended = true;
        self.current = None;
        Ok(())
    }

    fn start_to_device(&mut self, len: usize) -> Result<(), String> {
        self.check_transfer_len(len, self.payloads.to_device.len())?;
        let far_end = self.clone_far_end()?;
        self.transfer = Some(Transfer::ToDevice(ToDevice::start(far_end, len)));
        Ok(())
    }

    fn finish_to_device(&mut self) -> Result<(), String> {
        let Some(Transfer::ToDevice(transfer)) = self.transfer.take() else {
            return Err("`written` without `to-device`".to_owned());
        };
        let timing = transfer.finish(&self.payloads.to_device)?;
        self.time(timing);
        Ok(())
    }

    fn start_from_device(&mut self, len: usize) -> Result<(), String> {
        self.check_transfer_len(len, self.payloads.from_device.len())?;
        let _ = std::fs::remove_file(self.received);
        let far_end = self.clone_far_end()?;
        let payload = self.payloads.from_device.clone();
        self.transfer = Some(Transfer::FromDevice(FromDevice::start(far_end, payload)));
        Ok(())
    }

    fn finish_from_device(&mut self) -> Result<(), String> {
        let Some(Transfer::FromDevice(transfer)) = self.transfer.take() else {
            return Err("`read` without `from-device`".to_owned());
        };
        let timing = transfer.finish(&self.payloads.from_device, self.received)?;
        self.time(timing);
        Ok(())
    }

    fn check_transfer_len(&self, asked: usize, payload: usize) -> Result<(), String> {
        if self.transfer.is_some() {
            return Err("a transfer is already under way".to_owned());
        }
        match asked == payload {
            true => Ok(()),
            false => Err(format!("the payload has {payload} bytes, not {asked}")),
        }
    }

    fn clone_far_end(&self) -> Result<TTYPort, String> {
        self.far_end
            .try_clone_native()
            .map_err(|error| format!("cannot share the pty's far end: {error}"))
    }

    /// The records, with a failure for each scenario that did not end:
    /// the client was killed after `deadline` (`Some`) or ended by itself
    /// with `status` (`None`: it hung and was killed). The scenario it was
    /// in also gets the end of its `stderr`.
    pub(super) fn finish(
        mut self,
        deadline: Option<Duration>,
        status: Option<ExitStatus>,
        stderr: &[u8],
    ) -> Vec<Record> {
        let why = match (deadline, status) {
            (Some(deadline), _) => {
                format!("the run passed its {deadline:?} deadline and the client was killed")
            }
            (None, Some(status)) => format!("the client ended early ({status})"),
            (None, None) => "the client stopped talking but did not exit".to_owned(),
        };
        let stderr = match tail(stderr) {
            text if text.is_empty() => text,
            text => format!("; its stderr ends: {text}"),
        };
        let unfinished = self
            .current
            .or_else(|| self.records.iter().position(|record| !record.ended));
        for (index, record) in self.records.iter_mut().enumerate() {
            if Some(index) == unfinished {
                let during = match self.step.as_str() {
                    "" => String::new(),
                    step => format!(" during `{step}`"),
                };
                record.failures.push(format!("{why}{during}{stderr}"));
            } else if !record.ended {
                record.failures.push(format!("not reached: {why}"));
            }
            record.failures.extend(self.stray.iter().cloned());
        }
        self.records
    }
}
