// {fmt}'s compiled part, built into nodeboot instead of linked from libfmt.so.
//
// Why: every nodeboot command pays for the dynamic loader before main, and each shared C++
// library costs relocations at every start (see the README's "Start-up" decision: `nodeboot
// logs` must answer in a few milliseconds). Debian ships {fmt} only as a shared library, and
// FMT_HEADER_ONLY would compile this same code into every translation unit that formats
// (about 4 s of compile time each). So the non-inline part is compiled here, once: what fmt's
// own src/format.cc does, for the version in Debian 12 (9.1).
#include <fmt/format-inl.h>

static_assert(FMT_VERSION / 100 == 901, "written for {fmt} 9.1: check the extern templates in fmt/format.h");

FMT_BEGIN_NAMESPACE
namespace detail {

// The templates that fmt/format.h declares `extern template` and format-inl.h defines.
template auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template locale_ref::locale_ref(const std::locale& loc);
template auto locale_ref::get<std::locale>() const -> std::locale;
template auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template auto thousands_sep_impl(locale_ref) -> thousands_sep_result<wchar_t>;
template auto decimal_point_impl(locale_ref) -> char;
template auto decimal_point_impl(locale_ref) -> wchar_t;
template void buffer<char>::append(const char*, const char*);
template void buffer<wchar_t>::append(const wchar_t*, const wchar_t*);

}  // namespace detail
FMT_END_NAMESPACE
