/* cub/device/device_radix_sort.cuh (host emulator shim) -
 * cub::DeviceRadixSort::SortPairs as CUB documents it: with
 * d_temp_storage == NULL only the temporary storage size is returned;
 * otherwise a stable sort of the pairs by the key bits [begin_bit,
 * end_bit), inputs left unchanged.  Buffers must be device memory
 * (checked).  Emulator build only.
 */
#ifndef RNNPIPE_EMU_CUB_RADIX_SORT_CUH
#define RNNPIPE_EMU_CUB_RADIX_SORT_CUH

#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

/* emu_runtime.cc: a call's device buffer must lie inside one allocation */
void emu_check_device_range(const void *p, size_t bytes, const char *call, const char *what);
size_t emu_cub_temp_bytes(size_t items, size_t key_bytes, size_t value_bytes);

namespace cub {
struct DeviceRadixSort {
	template <typename KeyT, typename ValueT, typename NumItemsT>
	static cudaError_t SortPairs(void *d_temp_storage, size_t &temp_storage_bytes,
				     const KeyT *d_keys_in, KeyT *d_keys_out,
				     const ValueT *d_values_in, ValueT *d_values_out,
				     NumItemsT num_items, int begin_bit = 0,
				     int end_bit = sizeof(KeyT) * 8, cudaStream_t stream = 0)
	{
		const size_t n = (size_t)num_items;
		if (begin_bit < 0 || end_bit > (int)sizeof(KeyT) * 8 || begin_bit > end_bit)
			return cudaErrorInvalidValue;
		const size_t need = emu_cub_temp_bytes(n, sizeof(KeyT), sizeof(ValueT));
		if (!d_temp_storage) {
			temp_storage_bytes = need;
			return cudaSuccess;
		}
		if (temp_storage_bytes < need)
			return cudaErrorInvalidValue;
		const char *call = "cub::DeviceRadixSort::SortPairs";
		emu_check_device_range(d_temp_storage, temp_storage_bytes, call, "d_temp_storage");
		emu_check_device_range(d_keys_in, n * sizeof(KeyT), call, "d_keys_in");
		emu_check_device_range(d_keys_out, n * sizeof(KeyT), call, "d_keys_out");
		emu_check_device_range(d_values_in, n * sizeof(ValueT), call, "d_values_in");
		emu_check_device_range(d_values_out, n * sizeof(ValueT), call, "d_values_out");
		emu_enqueue(stream, [=] {
			const int bits = end_bit - begin_bit;
			typedef typename std::make_unsigned<KeyT>::type U;
			const U mask = bits >= (int)sizeof(U) * 8 ? (U)~(U)0 : (U)(((U)1 << bits) - 1);
			std::vector<size_t> idx(n);
			for (size_t i = 0; i < n; i++)
				idx[i] = i;
			std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
				return (((U)d_keys_in[a] >> begin_bit) & mask) <
				       (((U)d_keys_in[b] >> begin_bit) & mask);
			});
			std::vector<KeyT> k(n);
			std::vector<ValueT> v(n);
			for (size_t i = 0; i < n; i++) {
				k[i] = d_keys_in[idx[i]];
				v[i] = d_values_in[idx[i]];
			}
			std::copy(k.begin(), k.end(), d_keys_out);
			std::copy(v.begin(), v.end(), d_values_out);
			/* the scratch holds garbage afterwards, as on the device */
			memset(d_temp_storage, 0xa5, temp_storage_bytes);
		});
		return cudaSuccess;
	}
};
} // namespace cub

#endif
