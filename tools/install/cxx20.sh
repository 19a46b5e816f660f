#!/usr/bin/env bash
# Compiler wrapper for building mmcv 2.1.0 against torch 2.14: torch's headers
# need C++20 but mmcv's setup.py hard-codes -std=c++17 (placed last, so
# CXXFLAGS cannot override it). Rewrite that one flag and call the real compiler.
args=()
for a in "$@"; do
  if [ "$a" = "-std=c++17" ]; then a="-std=c++20"; fi
  args+=("$a")
done
exec "${DPT_REAL_CXX:-g++}" "${args[@]}"
