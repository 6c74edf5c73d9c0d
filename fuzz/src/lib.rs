//! Fixed configurations shared by the fuzz targets and the seed generator.

pub mod calls;
pub mod sip;

use firmware_config::default::factory_default;
use firmware_config::sample::{self, Size};
use firmware_config::Config;

/// A small generated office: a few of everything, valid by construction.
pub fn small_office() -> Config {
    let size = Size {
        employees: 3,
        groups: 2,
        schedules: 2,
        holidays: 3,
    };
    sample::office(size, 1)
}

/// The factory default with fixed (not random) SIP passwords, so seeds are reproducible.
pub fn fixed_default() -> Config {
    let (mut config, _) = factory_default().expect("randomness for the factory default");
    for (i, employee) in config.employees.as_mut_slice().iter_mut().enumerate() {
        for device in employee.devices.iter_mut() {
            device.password = format!("seedpassword{i:04}")
                .as_str()
                .try_into()
                .expect("fits");
        }
    }
    config
}
