/* cub/cub.cuh (host emulator shim): the one CUB algorithm kernels/ uses. */
#include <cub/device/device_radix_sort.cuh>
