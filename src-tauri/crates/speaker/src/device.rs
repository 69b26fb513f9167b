//! Output devices: listing them, and opening one (by name, or the default) at its preferred format.

use cpal::traits::{DeviceTrait, HostTrait};

use crate::error::{Result, SpeakerError};

/// The output devices the system offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDevices {
    /// Names to show, and to pass back to open one.
    pub names: Vec<String>,
    /// Name of the system's default output, if it has one.
    pub default: Option<String>,
}

/// What a stream was opened at on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFormat {
    pub sample_rate: u32,
    pub channels: u16,
    /// cpal's name of the sample format: "f32", "i16", …
    pub sample_format: String,
}

/// Lists the output devices. An error only when the audio system cannot be asked at all.
pub fn list_devices() -> Result<OutputDevices> {
    let host = cpal::default_host();
    let devices = host.output_devices().map_err(|error| SpeakerError::NoDevice(error.to_string()))?;
    let names = devices.filter_map(|device| device_name(&device)).collect();
    let default = host.default_output_device().and_then(|device| device_name(&device));
    Ok(OutputDevices { names, default })
}

fn device_name(device: &cpal::Device) -> Option<String> {
    device.description().ok().map(|description| description.name().to_owned())
}

/// A device chosen for output and the configuration it prefers.
pub(crate) struct Output {
    pub(crate) device: cpal::Device,
    pub(crate) config: cpal::SupportedStreamConfig,
}

impl Output {
    /// Opens the output called `name`, or the default output.
    pub(crate) fn open(name: Option<&str>) -> Result<Self> {
        let host = cpal::default_host();
        let device = match name {
            None => host.default_output_device().ok_or_else(|| SpeakerError::NoDevice("the system has none".into()))?,
            Some(name) => host
                .output_devices()
                .map_err(|error| SpeakerError::NoDevice(error.to_string()))?
                .find(|device| device_name(device).as_deref() == Some(name))
                .ok_or_else(|| SpeakerError::NoDevice(format!("no output is called {name:?}")))?,
        };
        let config = device.default_output_config().map_err(|error| {
            let name = device_name(&device).unwrap_or_else(|| "the default output".into());
            SpeakerError::NoDevice(format!("{name}: {error}"))
        })?;
        Ok(Self { device, config })
    }

    pub(crate) fn format(&self) -> OutputFormat {
        OutputFormat {
            sample_rate: self.config.sample_rate(),
            channels: self.config.channels(),
            sample_format: self.config.sample_format().to_string(),
        }
    }
}
