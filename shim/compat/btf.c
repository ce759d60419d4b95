// SPDX-License-Identifier: GPL-2.0
/*
 * Constants KVM keeps in headers the target does not install, read from
 * the running kernel's own type information: the BTF of kvm.ko
 * (/sys/kernel/btf/kvm, CONFIG_DEBUG_INFO_BTF_MODULES). A module's BTF is
 * split: its strings continue vmlinux's, so a name offset below the size of
 * vmlinux's string section is read from /sys/kernel/btf/vmlinux.
 *
 * The data comes from the kernel, yet every offset and length is checked
 * against the section it points into before use: a kernel with an unknown
 * BTF layout gets a refusal, never a wild read.
 */
#include <linux/btf.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kvm.h"

#define BTF_DIR		"/sys/kernel/btf/"
#define BTF_MAX_SIZE	(64 << 20)
#define BTF_NAME_MAX	128

struct btf_file {
	struct file *f;
	struct btf_header h;
	u8 *data;		/* whole file; NULL: read on demand */
	size_t size;
	u32 base_str_len;	/* split BTF: strings below this are the base's */
	struct btf_file *base;
};

static int btf_read_at(struct btf_file *b, void *buf, size_t len, loff_t pos)
{
	if (b->data) {
		if (pos < 0 || pos > b->size || len > b->size - pos)
			return -EINVAL;
		memcpy(buf, b->data + pos, len);
		return 0;
	}
	return kernel_read(b->f, buf, len, &pos) == len ? 0 : -EIO;
}

static int btf_open(struct btf_file *b, const char *name, bool whole)
{
	char path[64];
	loff_t pos = 0;
	ssize_t n;
	int ret;

	memset(b, 0, sizeof(*b));
	snprintf(path, sizeof(path), BTF_DIR "%s", name);
	b->f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(b->f)) {
		ret = PTR_ERR(b->f);
		b->f = NULL;
		return ret;
	}
	b->size = i_size_read(file_inode(b->f));
	if (b->size < sizeof(b->h) || b->size > BTF_MAX_SIZE)
		return -EINVAL;
	ret = btf_read_at(b, &b->h, sizeof(b->h), 0);
	if (ret)
		return ret;
	if (b->h.magic != BTF_MAGIC || b->h.hdr_len < offsetof(struct btf_header, str_len) + 4 ||
	    b->h.hdr_len > b->size ||
	    (u64)b->h.hdr_len + b->h.type_off + b->h.type_len > b->size ||
	    (u64)b->h.hdr_len + b->h.str_off + b->h.str_len > b->size)
		return -EINVAL;
	if (!whole)
		return 0;
	b->data = vmalloc(b->size);
	if (!b->data)
		return -ENOMEM;
	/* sysfs hands a binary attribute out a page per read. */
	while (pos < b->size) {
		n = kernel_read(b->f, b->data + pos, b->size - pos, &pos);
		if (n <= 0)
			return n < 0 ? n : -EIO;
	}
	return 0;
}

static void btf_close(struct btf_file *b)
{
	vfree(b->data);
	if (b->f)
		filp_close(b->f, NULL);
}

/* Whether the string at @off of @b (split: or of its base) is @s. */
static bool btf_name_is(struct btf_file *b, u32 off, const char *s)
{
	char buf[BTF_NAME_MAX];
	size_t n = strlen(s) + 1;

	if (n > sizeof(buf))
		return false;
	if (b->base) {
		if (off < b->base_str_len)
			return btf_name_is(b->base, off, s);
		off -= b->base_str_len;
	}
	if (off >= b->h.str_len || n > b->h.str_len - off)
		return false;
	if (btf_read_at(b, buf, n, b->h.hdr_len + b->h.str_off + off))
		return false;
	return !memcmp(buf, s, n);
}

/* Bytes that follow a type record of this kind; < 0: a kind not known here. */
static long btf_type_extra(const struct btf_type *t)
{
	u32 vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		return sizeof(u32);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	default:
		return -1;
	}
}

static int btf_find_enum(struct btf_file *m, const char *type, const char *name, s64 *val)
{
	const u8 *p = m->data + m->h.hdr_len + m->h.type_off;
	const u8 *end = p + m->h.type_len;
	const struct btf_type *t;
	const struct btf_enum *e;
	long extra;
	u32 i;

	while (end - p >= sizeof(*t)) {
		t = (const struct btf_type *)p;
		extra = btf_type_extra(t);
		if (extra < 0 || extra > end - p - sizeof(*t))
			return -EINVAL;
		p += sizeof(*t) + extra;
		if (BTF_INFO_KIND(t->info) != BTF_KIND_ENUM || !btf_name_is(m, t->name_off, type))
			continue;
		e = (const struct btf_enum *)(t + 1);
		for (i = 0; i < BTF_INFO_VLEN(t->info); i++) {
			if (btf_name_is(m, e[i].name_off, name)) {
				*val = e[i].val;
				return 0;
			}
		}
		return -ENOENT;
	}
	return -ENOENT;
}

/* The value of enumerator @name of enum @type in module @module's BTF. */
int xenhv_btf_enum_value(const char *module, const char *type, const char *name, s64 *val)
{
	struct btf_file base, mod;
	int ret;

	ret = btf_open(&base, "vmlinux", false);
	if (!ret)
		ret = btf_open(&mod, module, true);
	else
		memset(&mod, 0, sizeof(mod));
	if (!ret) {
		mod.base = &base;
		mod.base_str_len = base.h.str_len;
		ret = btf_find_enum(&mod, type, name, val);
	}
	btf_close(&mod);
	btf_close(&base);
	return ret;
}
