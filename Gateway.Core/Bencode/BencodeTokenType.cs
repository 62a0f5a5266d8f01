namespace Gateway.Core.Bencode;

/// <summary>What <see cref="BencodeReader.Read"/> just read.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Integer and String are the names BEP 3 gives these tokens.")]
public enum BencodeTokenType
{
    None = 0,
    Integer,
    String,

    /// <summary>A byte string in a dictionary's key position (keys are checked sorted and unique).</summary>
    Key,
    StartList,
    EndList,
    StartDictionary,
    EndDictionary,
}
