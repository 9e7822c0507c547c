//===- main.cpp - infrac entry point --------------------------------------===//

#include "Driver/Driver.h"

int main(int argc, char **argv) { return infrac::driverMain(argc, argv); }
