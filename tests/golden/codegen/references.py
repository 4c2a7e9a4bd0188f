# ruleward: ruleset 'references' version '1'; generated code
def _evaluate(ev):
    _fired = 0
    _errs = []
    _f0 = ev.get('reports')
    if _f0 is None: _f0 = _D0
    _f1 = ev.get('jurisdictions')
    _f2 = ev.get('classifiers')
    if _f2 is None: _f2 = _U
    _c0 = _NY
    # rule 'base', line 6
    _r0e = None
    try:
        # condition 'many', line 4, computed on first use
        if _c0 is _NY:
            _t1 = _count(_f0)
            _t2 = ((_t1 > 2) if (_t1.__class__ is _int or (_t1.__class__ is _float and _t1 == _t1)) else False if _t1 is None else _order('>', _t1, 2))
            _c0 = _t2
        _r0 = _c0
        if not _r0:
            _r0 = (('US' in _f1) if _f1.__class__ is _list else _member('US', _f1))
        if _r0: _fired |= 1
    except _Exception as _e:
        _r0 = None
        _r0e = _fail(_e)
        _errs.append((0, _r0e))
    # rule 'derived', line 10
    _r1e = None
    try:
        if _r0e is not None: raise _r0e
        _r1 = _r0
        if _r1:
            _t3 = (('GB' in _f1) if _f1.__class__ is _list else _member('GB', _f1))
            _r1 = (not _t3)
        if _r1: _fired |= 2
    except _Exception as _e:
        _r1 = None
        _r1e = _fail(_e)
        _errs.append((1, _r1e))
    # rule 'unknown_ref', line 14
    try:
        if _r1e is not None: raise _r1e
        _rv = _r1
        if _rv is not False:
            _t5 = _f2
            if _t5 is _U:
                _t4 = None
            else:
                if _t5.__class__ is not _list: _t5 = _iter(_t5)
                _t4 = False
                for _v0 in _t5:
                    _t6 = ((_v0.get('label') if _v0.__class__ is _dict else _get(_v0, 'label')) == 'csam')
                    if _t6:
                        _t6 = (not (((_t7 if (_t7 := _v0.get('status')) is not None else 'ok') if _v0.__class__ is _dict else _get(_v0, 'status', 'ok')) == 'ok'))
                    if _t6:
                        _t4 = True
                        break
            if _t4 is False: _rv = False
            elif _t4 is None: _rv = None
        if _rv is True: _fired |= 4
        elif _rv is None: _errs.append((2, 'when'))
    except _Exception as _e:
        _errs.append((2, _fail(_e)))
    return _fired, _errs
