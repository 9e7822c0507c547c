//===- Driver.h - The infrac command line -----------------------*- C++ -*-===//
#ifndef INFRAC_DRIVER_DRIVER_H
#define INFRAC_DRIVER_DRIVER_H

namespace infrac {

/// Runs the infrac command line. Returns the process exit code: 0 clean,
/// 1 errors in the input, 2 usage or I/O failure.
int driverMain(int argc, char **argv);

} // namespace infrac

#endif
